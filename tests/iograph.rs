//! The I/O graph presets of the ws-keepalive profile (plugin/profiles/ws-keepalive/io_graphs) on
//! tests/captures/ka_gui.pcapng (24 s: pings with a rising and falling RTT and messages at a
//! rising rate, 7 s of TCP keep-alive probes, then binary pushes from the server). Each preset's
//! filter and Y field are read from the shipped file and computed by tshark's `-z io,stat` (the
//! same calculation the GUI's I/O graph makes, 1 s intervals): the values the screenshots in
//! docs/gui.md show.
#[macro_use]
mod common;

use common::tshark;

/// A preset: name, display filter, Y axis (calculation), Y field.
struct Preset {
    name: String,
    filter: String,
    yaxis: String,
    yfield: String,
}

/// The UAT file's records: `"a","b",...` per line, `\x22` for a quote, `#` comments.
fn presets() -> Vec<Preset> {
    let text =
        std::fs::read_to_string(common::root().join("plugin/profiles/ws-keepalive/io_graphs"))
            .expect("io_graphs");
    text.lines()
        .filter(|l| l.starts_with('"'))
        .map(|l| {
            let f: Vec<String> = l
                .trim()
                .trim_matches('"')
                .split("\",\"")
                .map(|s| s.replace("\\x22", "\""))
                .collect();
            assert_eq!(f.len(), 9, "9 fields (the 4.0 to 4.6 format): {l}");
            assert!(f[0] == "Enabled" || f[0] == "Disabled", "{l}");
            Preset {
                name: f[1].clone(),
                filter: f[2].clone(),
                yaxis: f[5].clone(),
                yfield: f[6].clone(),
            }
        })
        .collect()
}

/// tshark's io,stat column for one preset, one value per 1 s interval.
fn column(p: &Preset) -> Vec<String> {
    let t = tshark().expect("tshark");
    let cap = t.capture("ka_gui.pcapng");
    let calc = match p.yaxis.as_str() {
        "AVG(Y Field)" => "AVG",
        "SUM(Y Field)" => "SUM",
        "COUNT FIELDS(Y Field)" => "COUNT",
        other => panic!("{}: no io,stat equivalent for {other}", p.name),
    };
    let z = format!("io,stat,1,{calc}({}){}", p.yfield, p.filter);
    let out = t.run(&["-r", &cap, "-q", "-z", &z]);
    out.lines()
        .filter(|l| l.contains("<>"))
        .map(|l| {
            l.split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .nth(1)
                .unwrap_or_else(|| panic!("no value in {l}"))
                .to_string()
        })
        .collect()
}

fn preset(name: &str) -> Preset {
    presets()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no preset {name}"))
}

fn ints(v: &[u32]) -> Vec<String> {
    v.iter().map(u32::to_string).collect()
}

#[test]
fn the_profile_ships_six_presets_rtt_shown_first() {
    let names: Vec<String> = presets().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "Keep-alive RTT: WebSocket ping/pong",
            "Keep-alive RTT: TCP probe/ACK",
            "Messages/s client to server",
            "Messages/s server to client",
            "Message bytes/s server to client",
            "Message bytes/s client to server",
        ]
    );
    let text =
        std::fs::read_to_string(common::root().join("plugin/profiles/ws-keepalive/io_graphs"))
            .unwrap();
    let enabled: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("\"Enabled\""))
        .collect();
    assert_eq!(enabled.len(), 2);
    assert!(enabled.iter().all(|l| l.contains("Keep-alive RTT")));
}

#[test]
fn ping_rtt_rises_to_80_ms_and_falls_and_tcp_probes_fill_the_silence() {
    if tshark().is_none() {
        return;
    }
    let ws = column(&preset("Keep-alive RTT: WebSocket ping/pong"));
    let mut want: Vec<&str> = vec![
        "0.018368", "0.031041", "0.048968", "0.062495", "0.072871", "0.078968", "0.079926",
        "0.076234", "0.067534", "0.054875",
    ];
    want.extend(["0.000000"; 7]);
    want.extend([
        "0.079942", "0.079798", "0.075876", "0.067040", "0.055512", "0.041172", "0.019325",
        "0.000000",
    ]);
    assert_eq!(ws, want);
    let tcp = column(&preset("Keep-alive RTT: TCP probe/ACK"));
    let mut want = vec!["0.000000"; 11];
    want.extend([
        "0.000041", "0.000039", "0.000060", "0.000040", "0.000044", "0.000063",
    ]);
    want.extend(["0.000000"; 8]);
    assert_eq!(tcp, want);
}

#[test]
fn messages_per_second_rise_then_the_server_pushes() {
    if tshark().is_none() {
        return;
    }
    let client = column(&preset("Messages/s client to server"));
    let server = column(&preset("Messages/s server to client"));
    let first = [4, 6, 9, 10, 12, 13, 16, 17, 19, 21, 0, 0, 0, 0, 0, 0, 0];
    let mut c = first.to_vec();
    c.extend([2, 2, 2, 2, 2, 2, 2, 1]);
    let mut s = first.to_vec();
    s.extend([11, 12, 12, 12, 12, 12, 12, 2]);
    assert_eq!(client, ints(&c));
    assert_eq!(server, ints(&s));
}

#[test]
fn message_bytes_per_second_in_each_direction() {
    if tshark().is_none() {
        return;
    }
    let server = column(&preset("Message bytes/s server to client"));
    let client = column(&preset("Message bytes/s client to server"));
    assert_eq!(
        server,
        ints(&[
            302, 404, 724, 836, 1044, 1150, 1462, 1566, 1774, 2018, 0, 0, 0, 0, 0, 0, 0, 20511,
            27507, 24263, 24091, 26991, 23747, 26647, 1524
        ])
    );
    assert_eq!(
        client,
        ints(&[
            47, 64, 114, 132, 164, 182, 230, 246, 278, 319, 0, 0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6,
            6, 6
        ])
    );
}
