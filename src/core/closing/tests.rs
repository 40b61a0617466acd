//! Tests for the Close handshake and the connection's end.

use super::*;
use Direction::{Client, Server};

#[test]
fn clean_close_initiated_by_the_server() {
    let mut c = Closing::default();
    assert_eq!(c.on_close(Server, 10, Some(4000)), CloseRole::Initiator);
    assert_eq!(
        c.on_close(Client, 12, Some(4000)),
        CloseRole::Reply { to: 10 }
    );
    assert_eq!(c.reply_in(10), Some(12));
    assert_eq!(c.reply_in(12), None);
    assert_eq!(c.initiator(), Some(Server));
    let e = c.on_tcp_end(Server, false).unwrap();
    assert_eq!(
        e.text,
        "closed by the server: Close (4000 Private use) answered by the client, then TCP FIN from the server"
    );
    assert!(!e.abnormal);
    assert_eq!(c.on_tcp_end(Client, false), None, "only the first FIN/RST");
}

#[test]
fn a_second_close_from_the_same_side_is_no_reply() {
    let mut c = Closing::default();
    c.on_close(Client, 5, Some(1000));
    assert_eq!(c.on_close(Client, 6, Some(1000)), CloseRole::Extra);
    assert_eq!(c.on_close(Server, 7, None), CloseRole::Reply { to: 5 });
    assert_eq!(c.on_close(Server, 8, None), CloseRole::Extra);
}

#[test]
fn unanswered_close_and_no_close() {
    let mut c = Closing::default();
    c.on_close(Client, 5, Some(1001));
    let e = c.on_tcp_end(Server, true).unwrap();
    assert!(e.abnormal);
    assert_eq!(e.anomaly, Some(Anomaly::CloseUnanswered));
    assert_eq!(
        e.text,
        "the client sent Close (1001 Going Away) but the server never answered; TCP RST from the server"
    );
    let mut c = Closing::default();
    let e = c.on_tcp_end(Client, true).unwrap();
    assert_eq!(e.anomaly, Some(Anomaly::ClosedWithoutHandshake));
    assert_eq!(
        e.text,
        "TCP RST from the client without a Close handshake (the applications see 1006)"
    );
}

/// The End of frame `fin` in one pass (`complete = false`) and on revisits (`true`).
fn both(c: &Closing, fin: u32) -> (End, End) {
    (c.end_in(fin, false).unwrap(), c.end_in(fin, true).unwrap())
}

const NORMAL: &str =
    "closed by the client: Close (1000 Normal Closure) answered by the server, then TCP FIN from the server";

#[test]
fn close_answer_then_fin_is_normal() {
    let mut c = Closing::default();
    c.on_close(Client, 10, Some(1000));
    c.on_close(Server, 11, Some(1000));
    let first = c.on_tcp_end_in(12, Server, false).unwrap();
    assert_eq!(c.on_tcp_end_in(13, Client, false), None);
    assert_eq!(c.end_frame(), Some(12));
    let (pass1, fin) = both(&c, 12);
    for e in [&first, &pass1, &fin] {
        assert_eq!(e.text, NORMAL);
        assert!(!e.abnormal && !e.pending);
        assert_eq!(e.anomaly, None);
    }
    assert_eq!(c.end_in(13, true), None, "the End is on the first FIN only");
    assert_eq!(c.end_in(11, true), None);
}

#[test]
fn close_fin_then_answer_is_a_normal_closure() {
    // libwebsockets clients, wstunnel: Close, shutdown(SHUT_WR), then the server's Close.
    let mut c = Closing::default();
    c.on_close(Client, 10, Some(1000));
    let at_fin = c.on_tcp_end_in(11, Client, false).unwrap();
    // What the first pass knows at the FIN: nothing decided, no alarm yet.
    assert!(at_fin.pending);
    assert!(!at_fin.abnormal);
    assert_eq!(at_fin.anomaly, None);
    assert_eq!(
        at_fin.text,
        "the client sent Close (1000 Normal Closure), then TCP FIN; no Close from the server yet (it can still answer)"
    );
    assert_eq!(c.end_in(11, false), Some(at_fin.clone()));
    // The answer arrives after the FIN, then the server's FIN.
    assert_eq!(
        c.on_close(Server, 13, Some(1000)),
        CloseRole::Reply { to: 10 }
    );
    assert_eq!(c.on_tcp_end_in(14, Server, false), None);
    assert_eq!(c.reply_in(10), Some(13));
    let (pass1, fin) = both(&c, 11);
    assert_eq!(pass1, fin, "decided: the same with or without the rest");
    assert_eq!(
        fin.text,
        "closed by the client: Close (1000 Normal Closure), TCP FIN from the client, then the server answered the Close"
    );
    assert!(!fin.abnormal && !fin.pending);
    assert_eq!(fin.anomaly, None);
}

#[test]
fn close_fin_then_nothing_is_unanswered() {
    let mut c = Closing::default();
    c.on_close(Client, 10, Some(1001));
    assert!(c.on_tcp_end_in(11, Client, false).unwrap().pending);
    // The capture ends without an answer: on revisits the verdict is final.
    let (pass1, fin) = both(&c, 11);
    assert!(pass1.pending);
    assert!(!fin.pending);
    assert!(fin.abnormal);
    assert_eq!(fin.anomaly, Some(Anomaly::CloseUnanswered));
    assert_eq!(
        fin.text,
        "the client sent Close (1001 Going Away) but the server never answered; TCP FIN from the client"
    );
}

#[test]
fn close_fin_then_the_peer_closes_tcp_without_answering() {
    // The peer's FIN (or RST) without a Close decides it before the capture ends.
    for rst in [false, true] {
        let mut c = Closing::default();
        c.on_close(Server, 20, Some(1000));
        assert!(c.on_tcp_end_in(21, Server, false).unwrap().pending);
        assert_eq!(c.on_tcp_end_in(22, Client, rst), None);
        let (pass1, fin) = both(&c, 21);
        assert_eq!(pass1, fin);
        assert!(fin.abnormal && !fin.pending, "{fin:?}");
        assert_eq!(fin.anomaly, Some(Anomaly::CloseUnanswered));
        // A Close after the peer's FIN cannot be sent; the End stays.
        c.on_close(Client, 23, Some(1000));
        assert!(c.end_in(21, true).unwrap().abnormal);
    }
}

#[test]
fn fin_from_the_side_that_should_answer_is_final() {
    // The server got the client's Close and half-closes without answering: it can send no
    // Close any more.
    let mut c = Closing::default();
    c.on_close(Client, 10, Some(1000));
    let e = c.on_tcp_end_in(11, Server, false).unwrap();
    assert!(!e.pending && e.abnormal);
    assert_eq!(e.anomaly, Some(Anomaly::CloseUnanswered));
    assert_eq!(
        e.text,
        "the client sent Close (1000 Normal Closure) but the server never answered; TCP FIN from the server"
    );
}

#[test]
fn fin_without_close_is_abnormal() {
    let mut c = Closing::default();
    let e = c.on_tcp_end_in(30, Client, false).unwrap();
    assert_eq!(
        e.text,
        "TCP FIN from the client without a Close handshake (the applications see 1006)"
    );
    assert!(e.abnormal && !e.pending);
    assert_eq!(e.anomaly, Some(Anomaly::ClosedWithoutHandshake));
    // A Close the other side sends after that FIN does not make it a handshake.
    c.on_close(Server, 31, Some(1000));
    assert_eq!(c.end_in(30, true).unwrap().anomaly, e.anomaly);
    assert_eq!(c.end_in(30, true).unwrap().text, e.text);
}

#[test]
fn close_and_fin_in_one_segment() {
    // The glue feeds a segment's FIN before the Close frames it carries: asked afterwards, the
    // Close of the same frame counts as before the FIN.
    let mut c = Closing::default();
    c.on_tcp_end_in(40, Client, false);
    c.on_close(Client, 40, Some(1000));
    let e = c.end_in(40, false).unwrap();
    assert!(e.pending, "{e:?}");
    c.on_close(Server, 41, Some(1000));
    c.on_tcp_end_in(41, Server, false);
    let e = c.end_in(40, true).unwrap();
    assert!(!e.abnormal && !e.pending, "{e:?}");
    // The answer with the answerer's FIN in one segment, after the initiator's Close.
    let mut c = Closing::default();
    c.on_close(Client, 50, Some(1000));
    c.on_tcp_end_in(51, Server, false);
    c.on_close(Server, 51, Some(1000));
    assert_eq!(
        c.end_in(51, true).unwrap().text,
        "closed by the client: Close (1000 Normal Closure) answered by the server, then TCP FIN from the server"
    );
}

#[test]
fn rst_after_close() {
    // Unanswered: abnormal at once (nothing is received after a RST).
    let mut c = Closing::default();
    c.on_close(Client, 10, None);
    let e = c.on_tcp_end_in(11, Client, true).unwrap();
    assert!(e.abnormal && !e.pending);
    assert_eq!(e.anomaly, Some(Anomaly::CloseUnanswered));
    assert_eq!(
        e.text,
        "the client sent Close (no status code) but the server never answered; TCP RST from the client"
    );
    // A Close seen after the RST does not answer for the applications.
    c.on_close(Server, 12, Some(1000));
    assert!(c.end_in(11, true).unwrap().abnormal);
    // Answered before the RST: the handshake completed (as before).
    let mut c = Closing::default();
    c.on_close(Client, 10, Some(1000));
    c.on_close(Server, 11, Some(1000));
    let e = c.on_tcp_end_in(12, Client, true).unwrap();
    assert!(!e.abnormal);
    assert_eq!(
        e.text,
        "closed by the client: Close (1000 Normal Closure) answered by the server, then TCP RST from the client"
    );
}

#[test]
fn the_old_entry_point_decides_at_once() {
    // on_tcp_end (no frame number) keeps its behaviour: what was fed decides, now.
    let mut c = Closing::default();
    c.on_close(Client, 10, Some(1000));
    let e = c.on_tcp_end(Client, false).unwrap();
    assert!(e.abnormal && !e.pending);
    assert_eq!(e.anomaly, Some(Anomaly::CloseUnanswered));
    assert_eq!(c.end_frame(), None);
    assert_eq!(c.on_tcp_end_in(12, Server, false), None);
}
