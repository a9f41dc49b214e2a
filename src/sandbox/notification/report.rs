//! [`DeliveryReportNotification`]: the delivery report of an outbound SMS.

use super::{
    opt_phone, opt_str, random_uuid, Notification, WireVariant, DEFAULT_APP_ID, DEFAULT_SERVICE_ID,
    J,
};
use crate::EventKind;

/// Builds an outbound SMS delivery report, "TDR" (seed 002, flat, PascalCase).
///
/// Every field is public: set one to `None` to leave it out.
///
/// ```
/// # use cinnox::sandbox::DeliveryReportNotification;
/// let n = DeliveryReportNotification::new().transaction_id("sms-1").undelivered().build();
/// let body = std::str::from_utf8(n.body()).unwrap();
/// assert!(body.contains(r#""ResponseCode":"400","Status":"Undelivered","Exception":"sms deliver failed""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReportNotification {
    /// `Type` (default `"tdr"`).
    pub report_type: Option<String>,
    /// `AppID` (default [`DEFAULT_APP_ID`]).
    pub app_id: Option<String>,
    /// `ServiceID` (default [`DEFAULT_SERVICE_ID`]).
    pub service_id: Option<String>,
    /// `TransactionID` (default: a random UUID).
    pub transaction_id: Option<String>,
    /// `RecipientNumber` (default `85298765432`).
    pub recipient_number: Option<String>,
    /// `RecipientCountry` (default `"HK"`).
    pub recipient_country: Option<String>,
    /// `ResponseCode` (default `""`; `"400"` when undelivered or rejected).
    pub response_code: Option<String>,
    /// `Status` (default `"Delivered"`).
    pub status: Option<String>,
    /// `Exception` (default `""`).
    pub exception: Option<String>,
    /// The wire shape (only [`WireVariant::numbers_as_json_numbers`] applies).
    pub wire: WireVariant,
}

impl DeliveryReportNotification {
    /// A `Delivered` report with every documented field.
    pub fn new() -> DeliveryReportNotification {
        DeliveryReportNotification {
            report_type: Some("tdr".into()),
            app_id: Some(DEFAULT_APP_ID.into()),
            service_id: Some(DEFAULT_SERVICE_ID.into()),
            transaction_id: Some(random_uuid()),
            recipient_number: Some("85298765432".into()),
            recipient_country: Some("HK".into()),
            response_code: Some(String::new()),
            status: Some("Delivered".into()),
            exception: Some(String::new()),
            wire: WireVariant::default(),
        }
    }
    fn outcome(mut self, status: &str, code: &str, exception: &str) -> Self {
        self.status = Some(status.into());
        self.response_code = Some(code.into());
        self.exception = Some(exception.into());
        self
    }
    /// `Status` `Submitted`, blank `ResponseCode` and `Exception`.
    pub fn submitted(self) -> Self {
        self.outcome("Submitted", "", "")
    }
    /// `Status` `Delivered`, blank `ResponseCode` and `Exception`.
    pub fn delivered(self) -> Self {
        self.outcome("Delivered", "", "")
    }
    /// `Status` `Undelivered`, `ResponseCode` `400`, `Exception` `sms deliver failed`.
    pub fn undelivered(self) -> Self {
        self.outcome("Undelivered", "400", "sms deliver failed")
    }
    /// `Status` `Rejected`, `ResponseCode` `400`, `Exception` `sms send failed`.
    pub fn rejected(self) -> Self {
        self.outcome("Rejected", "400", "sms send failed")
    }
    /// Set `Type`.
    pub fn report_type(mut self, t: impl Into<String>) -> Self {
        self.report_type = Some(t.into());
        self
    }
    /// Set `AppID`.
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.app_id = Some(id.into());
        self
    }
    /// Set `ServiceID`.
    pub fn service_id(mut self, id: impl Into<String>) -> Self {
        self.service_id = Some(id.into());
        self
    }
    /// Set `TransactionID`.
    pub fn transaction_id(mut self, id: impl Into<String>) -> Self {
        self.transaction_id = Some(id.into());
        self
    }
    /// Set `RecipientNumber`.
    pub fn recipient_number(mut self, n: impl Into<String>) -> Self {
        self.recipient_number = Some(n.into());
        self
    }
    /// Set `RecipientCountry`.
    pub fn recipient_country(mut self, c: impl Into<String>) -> Self {
        self.recipient_country = Some(c.into());
        self
    }
    /// Set `ResponseCode`.
    pub fn response_code(mut self, c: impl Into<String>) -> Self {
        self.response_code = Some(c.into());
        self
    }
    /// Set `Status` alone (any text; see also [`Self::undelivered`] etc.).
    pub fn status(mut self, s: impl Into<String>) -> Self {
        self.status = Some(s.into());
        self
    }
    /// Set `Exception`.
    pub fn exception(mut self, e: impl Into<String>) -> Self {
        self.exception = Some(e.into());
        self
    }
    /// Set the wire shape.
    pub fn wire(mut self, wire: WireVariant) -> Self {
        self.wire = wire;
        self
    }

    /// The notification with its body.
    pub fn build(&self) -> Notification {
        let nums = self.wire.numbers_as_json_numbers;
        let mut f = Vec::new();
        opt_str(&mut f, "Type", &self.report_type);
        opt_str(&mut f, "AppID", &self.app_id);
        opt_str(&mut f, "ServiceID", &self.service_id);
        opt_str(&mut f, "TransactionID", &self.transaction_id);
        opt_phone(&mut f, "RecipientNumber", &self.recipient_number, nums);
        opt_str(&mut f, "RecipientCountry", &self.recipient_country);
        opt_str(&mut f, "ResponseCode", &self.response_code);
        opt_str(&mut f, "Status", &self.status);
        opt_str(&mut f, "Exception", &self.exception);
        Notification {
            kind: EventKind::OutboundSms,
            body: J::Obj(f).to_json().into_bytes(),
        }
    }
}

impl Default for DeliveryReportNotification {
    fn default() -> Self {
        DeliveryReportNotification::new()
    }
}

impl From<DeliveryReportNotification> for Notification {
    fn from(b: DeliveryReportNotification) -> Notification {
        b.build()
    }
}
