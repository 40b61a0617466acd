//! tshark from a HOME without the plugin, so that Wireshark's own WebSocket dissector decodes the
//! upgraded connections: the reference of tests/oracle.rs. Like [`super::Tshark`], it runs as
//! "nobody" when we are root (the same user reads the same copied captures).
use super::Tshark;
use std::sync::OnceLock;

/// The same runner as the plugin's, with a HOME that holds no plugin (and the same directory of
/// copied captures).
pub type Builtin = Tshark;

/// The shared plugin-less tshark, or None when tshark is absent and not required (as
/// [`super::tshark`]). Panics if that HOME still loads the plugin (e.g. it is installed in the
/// system plugin folder): the reference would then not be Wireshark's own dissector.
pub fn builtin() -> Option<&'static Builtin> {
    static B: OnceLock<Option<Builtin>> = OnceLock::new();
    B.get_or_init(|| {
        let t = super::tshark()?;
        let home = t.home.with_file_name("home-builtin");
        std::fs::create_dir_all(&home).unwrap();
        super::chmod_tree(&home);
        let as_nobody = super::is_root();
        if as_nobody {
            super::give_to_nobody(&home);
        }
        let b = Tshark {
            home,
            dir: t.dir.clone(),
            as_nobody,
        };
        let plugins = b.run(&["-G", "plugins"]);
        assert!(
            !plugins.contains("ws_keepalive"),
            "the plugin-less HOME {} still loads ws_keepalive (system plugin folder?):\n{plugins}",
            b.home.display()
        );
        Some(b)
    })
    .as_ref()
}
