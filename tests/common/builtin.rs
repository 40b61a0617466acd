//! tshark from a HOME without the plugin, so that Wireshark's own WebSocket dissector decodes the
//! upgraded connections: the reference of tests/oracle.rs. Like [`super::Tshark`], it runs as
//! "nobody" when we are root (the same user reads the same copied captures).
use std::path::PathBuf;
use std::sync::OnceLock;

pub struct Builtin {
    pub home: PathBuf,
    as_nobody: bool,
}

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
        let b = Builtin { home, as_nobody };
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

impl Builtin {
    /// Run tshark without the plugin; returns stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let mut cmd = super::hermetic("tshark", &self.home, self.as_nobody);
        cmd.args(args);
        let out = cmd.output().expect("run tshark");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "tshark {args:?} failed: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `tshark -r CAP [extra] -Y FILTER -T fields -e ...`, one Vec per output line (as
    /// [`super::Tshark::fields`]).
    pub fn fields(
        &self,
        cap: &str,
        filter: &str,
        fields: &[&str],
        extra: &[&str],
    ) -> Vec<Vec<String>> {
        let args = super::fields_args(cap, filter, fields, extra);
        self.run(&args).lines().map(super::field_row).collect()
    }
}
