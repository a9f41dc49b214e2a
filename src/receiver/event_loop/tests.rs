//! The event loop's parts without sockets: the fairness of a turn, the deadline set, and
//! which connection is evicted (over connections on scripted byte streams).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::Token;

use super::{Driven, Fairness, State, Timers, REQUESTS_PER_LOOP_TURN};
use crate::receiver::conn::mock::{MockStream, Rig};
use crate::receiver::conn::{Conn, Fate};
use crate::receiver::ReceiverConfig;
use crate::WebhookConfig;

const PATH: &str = "/hook/s3cret";

/// Connections that each start `per_conn` requests per drive and always have more: the
/// ids each turn drives, for `turns` turns in which `news(turn)` have events.
fn turns(
    fair: &mut Fairness,
    per_conn: usize,
    turns: usize,
    news: impl Fn(usize) -> Vec<usize>,
) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for turn in 0..turns {
        let mut touched = Vec::new();
        fair.begin(&mut touched);
        touched.extend(news(turn));
        let mut driven = Vec::new();
        fair.drive(&mut touched, REQUESTS_PER_LOOP_TURN, |id| {
            driven.push(id);
            Driven {
                started: per_conn,
                more: true,
            }
        });
        assert!(touched.is_empty());
        out.push(driven);
    }
    out
}

#[test]
fn a_turn_starts_at_most_its_share_and_those_left_over_go_first_next_turn() {
    let mut fair = Fairness::default();
    // 40 busy connections starting 4 requests each: 32 fill a turn of 128.
    let share = REQUESTS_PER_LOOP_TURN / 4;
    let all: Vec<usize> = (0..40).collect();
    let driven = turns(&mut fair, 4, 3, |turn| {
        if turn == 0 {
            all.clone()
        } else {
            // A new connection's first event, and news for one driven already.
            vec![100 + turn, 0]
        }
    });
    assert_eq!(driven[0], (0..share).collect::<Vec<_>>());
    // Next turn: the 8 left over first, then those driven that have more (in the order
    // they were driven), and the news behind them; each once.
    let mut second: Vec<usize> = (share..40).collect();
    second.extend(0..share - 8);
    assert_eq!(driven[1], second);
    // Those not reached in the second turn lead the third (the new one included), then
    // those driven in the second, in its order.
    let mut third: Vec<usize> = (share - 8..share).collect();
    third.push(101);
    third.extend(share..40);
    third.extend(0..share - 8 - 1 - 8);
    assert_eq!(driven[2], third);
    assert!(fair.pending());
}

#[test]
fn a_turn_drives_each_connection_once_in_the_order_of_its_news() {
    let mut fair = Fairness::default();
    let driven = turns(&mut fair, 1, 1, |_| vec![5, 3, 5, 9, 3]);
    assert_eq!(driven[0], vec![5, 3, 9]);
}

#[test]
fn connections_with_nothing_more_are_not_driven_again() {
    let mut fair = Fairness::default();
    let mut touched = vec![1, 2, 3];
    fair.drive(&mut touched, REQUESTS_PER_LOOP_TURN, |id| Driven {
        started: 1,
        more: id == 2,
    });
    assert!(fair.pending());
    fair.begin(&mut touched);
    assert_eq!(touched, vec![2]);
    touched.clear();
    fair.drive(&mut touched, REQUESTS_PER_LOOP_TURN, |_| unreachable!());
    assert!(!fair.pending());
    // A deadline's drive that stops at its share is driven again next turn too.
    fair.again(
        7,
        Driven {
            started: 4,
            more: true,
        },
    );
    fair.again(
        8,
        Driven {
            started: 4,
            more: false,
        },
    );
    fair.begin(&mut touched);
    assert_eq!(touched, vec![7]);
}

#[test]
fn a_connection_starting_nothing_costs_no_budget() {
    let mut fair = Fairness::default();
    let mut touched: Vec<usize> = (0..1000).collect();
    let mut count = 0;
    fair.drive(&mut touched, REQUESTS_PER_LOOP_TURN, |_| {
        count += 1;
        Driven::default()
    });
    assert_eq!(count, 1000);
    assert!(!fair.pending());
}

#[test]
fn deadlines_come_due_soonest_first_and_by_id_at_the_same_instant() {
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let mut timers = Timers::default();
    assert_eq!(timers.next(), None);
    timers.refile(4, None, Some(at(30)));
    timers.refile(2, None, Some(at(10)));
    timers.refile(9, None, Some(at(10)));
    timers.refile(1, None, Some(at(20)));
    assert_eq!(timers.next(), Some(at(10)));
    // Moved later, and taken out.
    timers.refile(2, Some(at(10)), Some(at(40)));
    timers.refile(1, Some(at(20)), None);
    timers.refile(3, None, Some(at(10)));
    assert_eq!(timers.pop_due(at(9)), None);
    assert_eq!(timers.pop_due(at(35)), Some(3));
    assert_eq!(timers.pop_due(at(35)), Some(9));
    assert_eq!(timers.pop_due(at(35)), Some(4));
    assert_eq!(timers.pop_due(at(35)), None);
    assert_eq!(timers.next(), Some(at(40)));
    assert_eq!(timers.pop_due(at(40)), Some(2));
    assert_eq!(timers.next(), None);
}

/// A rig whose connections' first head is due within 1 s.
fn harness() -> Rig {
    let config = ReceiverConfig::builder(WebhookConfig::new(PATH).unwrap())
        .header_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    Rig::new(config)
}

impl Rig {
    /// A served connection `id` from `peer` that has read `bytes`, in `st`.
    fn add(&self, st: &mut State<MockStream>, id: usize, peer: &str, bytes: &str, now: Instant) {
        let peer: SocketAddr = peer.parse().unwrap();
        let mut sock = MockStream::new();
        sock.feed(bytes.as_bytes());
        let mut conn = Conn::new(Token(id), sock, peer, &self.rx.shared, now).unwrap();
        conn.ready(true, true);
        assert_eq!(conn.drive(&self.cx(now)), Fate::Alive);
        st.served += 1;
        *st.per_source.entry(peer.ip()).or_insert(0) += 1;
        st.insert(conn, &self.cx(now));
    }
}

fn event() -> String {
    let body = r#"{"type":"message","message":{"id":"c","status":"CallStart","serviceId":"svc-1","caller":{"eid":"e-1","number":"+85298765432"}}}"#;
    format!(
        "POST {PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn the_connection_idle_or_incomplete_longest_is_evicted_never_one_waiting() {
    let h = harness();
    let now = Instant::now();
    let mut st: State<MockStream> = State::new();
    h.add(&mut st, 1, "10.0.0.1:1000", "", now);
    h.add(&mut st, 2, "10.0.0.2:1000", "POST /x HT", now);
    h.add(&mut st, 3, "10.0.0.1:1001", &event(), now);
    let _delivery = h.rx.recv_timeout(Duration::ZERO).expect("queued");
    // Idle (1), incomplete (2), waiting for its answer (3, the oldest).
    for (id, age) in [(1, 10), (2, 20), (3, 30)] {
        st.conns.get_mut(&id).unwrap().since = now - Duration::from_secs(age);
    }
    assert_eq!(st.oldest_evictable(None), Some(2));
    assert_eq!(
        st.oldest_evictable(Some("10.0.0.1".parse().unwrap())),
        Some(1)
    );
    assert_eq!(st.oldest_evictable(Some("10.0.0.9".parse().unwrap())), None);
    st.evict(2, &h.rx.shared);
    assert_eq!(h.rx.stats().evicted_connections, 1);
    assert_eq!((st.served, st.conns.len()), (2, 2));
    assert!(!st.per_source.contains_key(&"10.0.0.2".parse().unwrap()));
    assert_eq!(st.oldest_evictable(None), Some(1));
    st.evict(1, &h.rx.shared);
    assert_eq!(st.per_source[&"10.0.0.1".parse().unwrap()], 1);
    // Only one waiting for its answer is left: nothing to evict.
    assert_eq!(st.oldest_evictable(None), None);
    // A refused connection is never evicted, and counts apart.
    let refused = Conn::refused(
        Token(4),
        MockStream::new(),
        "10.0.0.4:1".parse().unwrap(),
        Duration::from_secs(10),
        now - Duration::from_secs(60),
    );
    st.refused += 1;
    st.insert(refused, &h.cx(now));
    assert_eq!(st.oldest_evictable(None), None);
    st.remove(4, &h.rx.shared);
    assert_eq!((st.served, st.refused), (1, 0));
}

#[test]
fn a_drive_refiles_the_deadline_of_its_connection_and_a_removal_drops_it() {
    let h = harness();
    let now = Instant::now();
    let mut st: State<MockStream> = State::new();
    // Header deadlines, a second apart.
    h.add(
        &mut st,
        1,
        "10.0.0.1:1",
        "POST",
        now + Duration::from_secs(1),
    );
    h.add(&mut st, 2, "10.0.0.1:2", "POST", now);
    assert_eq!(st.timers.next(), Some(now + Duration::from_secs(1)));
    assert_eq!(st.timers.0.len(), 2);
    // Connection 2's head times out: answered 408, then lingering (a new deadline).
    let at = now + Duration::from_secs(1);
    assert_eq!(st.timers.pop_due(at), Some(2));
    st.conns.get_mut(&2).unwrap().timer = None;
    let driven = st.drive(2, &h.cx(at), |c, cx| c.on_timer(cx));
    assert_eq!(driven, Driven::default());
    assert!(String::from_utf8_lossy(&st.conns[&2].sock.written).starts_with("HTTP/1.1 408 "));
    let linger = st.conns[&2].timer.expect("lingering has a deadline");
    assert!(linger > at);
    assert_eq!(st.timers.0.len(), 2);
    assert_eq!(st.timers.pop_due(at), None);
    // Its peer closes: the connection and its deadline go.
    st.conns.get_mut(&2).unwrap().sock.eof();
    st.conns.get_mut(&2).unwrap().ready(true, false);
    st.drive(2, &h.cx(at), |c, cx| c.drive(cx));
    assert!(!st.conns.contains_key(&2));
    assert_eq!(st.served, 1);
    assert_eq!(
        st.timers.0.iter().map(|&(_, id)| id).collect::<Vec<_>>(),
        vec![1]
    );
    st.remove(1, &h.rx.shared);
    assert_eq!(st.timers.next(), None);
    assert!(st.per_source.is_empty());
}
