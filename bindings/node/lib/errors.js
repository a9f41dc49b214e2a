'use strict';
// Errors: one class per kind of failure the library reports.

const KINDS = {
  1: 'invalid_argument',
  2: 'invalid_argument',
  3: 'transport',
  4: 'timeout',
  5: 'api',
  6: 'unexpected_response',
  7: 'bad_request',
  8: 'io',
  9: 'closed',
  10: 'panic',
  11: 'wrong_type',
};

/** A failure reported by the cinnox library: `kind`, `code`, `httpStatus`, `apiCode`. */
class CinnoxError extends Error {
  constructor(message, { code = 255, httpStatus = null, apiCode = null } = {}) {
    super(message);
    this.name = this.constructor.name;
    this.kind = KINDS[code] || 'other';
    this.code = code;
    this.httpStatus = httpStatus || null;
    this.apiCode = apiCode || null;
  }
}
/** An argument the library refused. */
class InvalidArgumentError extends CinnoxError {}
/** The connection to CINNOX failed. */
class TransportError extends CinnoxError {}
/** Nothing came within the time allowed. */
class TimeoutError extends CinnoxError {}
/** CINNOX answered with an error object: see `apiCode` (6452000: a wrong App Token). */
class ApiError extends CinnoxError {}
/** CINNOX answered something the library cannot read. */
class UnexpectedResponseError extends CinnoxError {}
/** A body that is not a valid event. */
class BadRequestError extends CinnoxError {}
/** The operating system refused (a port in use, an unwritable inbox file, …). */
class IoError extends CinnoxError {}
/** The receiver, inbox, client or sandbox is closed. */
class ClosedError extends CinnoxError {}
/** The event is not of the type asked for. */
class WrongTypeError extends CinnoxError {}

const BY_CODE = {
  1: InvalidArgumentError,
  2: InvalidArgumentError,
  3: TransportError,
  4: TimeoutError,
  5: ApiError,
  6: UnexpectedResponseError,
  7: BadRequestError,
  8: IoError,
  9: ClosedError,
  11: WrongTypeError,
};

/** The error for `code` from plain details (made where the call ran). */
function fromDetails({ code, message, httpStatus, apiCode }) {
  const Cls = BY_CODE[code] || CinnoxError;
  return new Cls(message || `cinnox error ${code}`, { code, httpStatus, apiCode });
}

/** This thread's last error details for result `code`. */
function details(c, code) {
  return {
    code,
    message: c.cinnox_last_error_message() || c.cinnox_result_name(code),
    httpStatus: c.cinnox_last_error_http_status(),
    apiCode: Number(c.cinnox_last_error_api_code()),
  };
}

module.exports = {
  CinnoxError,
  InvalidArgumentError,
  TransportError,
  TimeoutError,
  ApiError,
  UnexpectedResponseError,
  BadRequestError,
  IoError,
  ClosedError,
  WrongTypeError,
  fromDetails,
  details,
};
