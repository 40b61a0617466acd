/* Small C helpers for the Rust glue: things bindgen cannot bind (macros, static inline functions)
 * and exception guards, so that a Wireshark exception (a longjmp) never crosses a Rust frame. */
#include <string.h>
#include <wireshark.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/exceptions.h>
#include <epan/show_exception.h>
#include <epan/ftypes/ftypes.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>
#include <zlib.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h>
#include <epan/address.h>
#include "../../wrapper.h" /* struct wsk_pdu_ctx, shared with Rust */

void wsk_log_warning(const char *msg)
{
    ws_log("ws-keepalive", LOG_LEVEL_WARNING, "%s", msg);
}

void wsk_item_set_generated(proto_item *item)
{
    if (item)
        proto_item_set_generated(item);
}

void wsk_item_set_hidden(proto_item *item)
{
    if (item)
        proto_item_set_hidden(item);
}

/* Call another dissector; any non-fatal exception it throws is shown in the tree and stops here. */
int wsk_call_dissector_guarded(dissector_handle_t handle, tvbuff_t *tvb, packet_info *pinfo,
                               proto_tree *tree, void *data)
{
    volatile int ret = 0;
    TRY {
        ret = call_dissector_only(handle, tvb, pinfo, tree, data);
    }
    CATCH_NONFATAL_ERRORS {
        show_exception(tvb, pinfo, tree, EXCEPT_CODE, GET_MESSAGE);
        ret = (int)tvb_captured_length(tvb);
    }
    ENDTRY;
    return ret;
}

/* ---- Dissector entry points -------------------------------------------------------------------
 * They live in C so that a Wireshark exception thrown by tcp_dissect_pdus or by HTTP (a longjmp to
 * TCP's TRY) only ever crosses C frames. The Rust callbacks they call never call a throwing
 * function with unchecked arguments. */
extern int wsk_rs_prepare(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int have_seq, guint32 seq,
                          struct wsk_pdu_ctx *ctx);
extern guint wsk_rs_pdu_len(packet_info *pinfo, tvbuff_t *tvb, int offset, void *data);
extern int wsk_rs_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data);
extern guint32 wsk_rs_heur_check(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int have_seq, guint32 seq);

static dissector_handle_t wsk_ws_handle;
static dissector_handle_t wsk_http_handle;

void wsk_set_handles(dissector_handle_t ws, dissector_handle_t http)
{
    wsk_ws_handle = ws;
    wsk_http_handle = http;
}

/* TCP's per-segment information (sequence number of the tvb's first byte), when TCP itself called
 * us: then `data` is a struct tcpinfo. Called by HTTP (bytes after a 101) or by anything else,
 * `data` is something else and NULL is returned. */
static struct tcpinfo *wsk_tcpinfo(packet_info *pinfo, void *data)
{
    static int proto_tcp = -1;
    if (!data || !pinfo->layers || !wsk_ws_handle)
        return NULL;
    if (proto_tcp < 0)
        proto_tcp = proto_get_id_by_filter_name("tcp");
    int self = dissector_handle_get_protocol_index(wsk_ws_handle);
    wmem_list_frame_t *f = wmem_list_tail(pinfo->layers);
    /* Our own layer (the dissector or the heuristic) is the last one. */
    while (f && GPOINTER_TO_INT(wmem_list_frame_data(f)) == self)
        f = wmem_list_frame_prev(f);
    if (!f || proto_tcp < 0 || GPOINTER_TO_INT(wmem_list_frame_data(f)) != proto_tcp)
        return NULL;
    return (struct tcpinfo *)data;
}

guint32 wsk_tcpinfo_seq(const void *tcpinfo)
{
    return ((const struct tcpinfo *)tcpinfo)->seq;
}

/* Was this dissector called by HTTP (after a 101, through "http.upgrade")? Then bytes are never
 * handed back to HTTP: the two would pass the same bytes to each other until Wireshark stops them
 * at gui.max_tree_depth. */
static int wsk_called_by_http(packet_info *pinfo)
{
    static int proto_http = -1;
    if (!pinfo->layers || !wsk_ws_handle)
        return 0;
    if (proto_http < 0)
        proto_http = proto_get_id_by_filter_name("http");
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        if (GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto_http)
            return 1;
    }
    return 0;
}

int wsk_dissect_ws(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    struct tcpinfo *ti = wsk_tcpinfo(pinfo, data);
    /* 1: the bytes are the HTTP handshake (Decode As, or a connection the heuristic claimed). */
    struct wsk_pdu_ctx ctx = {ti, 0, 0};
    int what = wsk_rs_prepare(tvb, pinfo, tree, ti != NULL, ti ? ti->seq : 0, &ctx);
    if (what == 1 && wsk_http_handle && !wsk_called_by_http(pinfo)) {
        /* Each dissector layer lowers can_desegment; give HTTP what TCP gave us, so that it can
         * reassemble headers and bodies that span segments (as TLS does for its payload). */
        pinfo->can_desegment = pinfo->saved_can_desegment;
        return call_dissector_only(wsk_http_handle, tvb, pinfo, tree, data);
    }
    /* 2: a one-byte TCP keep-alive probe; its byte is consumed, not parsed (see the keepalive tree). */
    if (what == 2)
        return (int)tvb_captured_length(tvb);
    /* The callbacks get TCP's tcpinfo (or NULL) to place each frame in the byte stream, and the
     * connection looked up once for the packet (a payload dissector may change pinfo's
     * addresses between frames). tcp_dissect_pdus calls them before it returns. */
    tcp_dissect_pdus(tvb, pinfo, tree, TRUE, 2, wsk_rs_pdu_len, wsk_rs_pdu, &ctx);
    return (int)tvb_captured_length(tvb);
}

#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
#define WSK_HEUR_RET bool
#else
#define WSK_HEUR_RET gboolean
#endif

WSK_HEUR_RET wsk_heur_ws_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    /* TCP hands its heuristics a struct tcpinfo: the sequence number of the tvb's first byte. */
    struct tcpinfo *ti = (struct tcpinfo *)data;
    guint32 from = wsk_ws_handle ? wsk_rs_heur_check(tvb, pinfo, tree, ti != NULL, ti ? ti->seq : 0) : 0;
    if (!from)
        return FALSE;
    /* From the first frame with something to show: a mid-stream connection's earlier segments
     * (seen before the decision) are ours on later passes, which show what the first pass stored. */
    conversation_set_dissector_from_frame_number(find_or_create_conversation(pinfo), from, wsk_ws_handle);
    wsk_dissect_ws(tvb, pinfo, tree, data);
    return TRUE;
}

/* ---- Connections on ports HTTP owns -------------------------------------------------------
 * TCP hands every segment of such a connection to HTTP, which returns "taken" even when it shows
 * nothing (binary data before any HTTP message), so TCP's heuristics never see it. The
 * postdissector reads such segments from the frame's bytes instead (see midstream.rs). */

/* Does TCP hand this packet's payload to HTTP by port? The conversation has no dissector of its
 * own, and the lower port's entry in "tcp.port" is HTTP's (or it has none and the higher port's
 * is), as packet-tcp.c tries them. Read from the tables, not from the packet's layers: epan drops
 * a layer that added no tree item only when there is a tree, so the layers differ between a
 * pass with a tree and one without. */
/* Per TCP port: 0 unknown, 1 HTTP's in tcp.port, 2 another dissector's, 3 nobody's. Looked up
 * once per port per capture (wsk_http_ports_forget runs in the init routine: Decode As and
 * preference changes re-dissect from scratch). */
static guint8 wsk_port_kind_cache[65536];

void wsk_http_ports_forget(void)
{
    memset(wsk_port_kind_cache, 0, sizeof wsk_port_kind_cache);
}

static int wsk_port_kind(dissector_table_t tcp_port, guint32 port)
{
    if (!port || port > 65535)
        return 3;
    if (!wsk_port_kind_cache[port]) {
        dissector_handle_t h = dissector_get_uint_handle(tcp_port, port);
        wsk_port_kind_cache[port] = !h ? 3 : h == wsk_http_handle ? 1 : 2;
    }
    return wsk_port_kind_cache[port];
}

/* check_conversation 0: the ports' test only (cheap); 1: also the conversation's own dissector. */
int wsk_http_owns_segment(packet_info *pinfo, int check_conversation)
{
    static dissector_table_t tcp_port = NULL;
    if (!wsk_http_handle || !wsk_ws_handle || pinfo->ptype != PT_TCP)
        return 0;
    if (!tcp_port)
        tcp_port = find_dissector_table("tcp.port");
    if (!tcp_port)
        return 0;
    /* TCP tries the lower port first: HTTP owns the segment when that port is HTTP's, or when it
     * is nobody's and the higher one is HTTP's. The cheap test first, the conversation after. */
    guint32 lo = MIN(pinfo->srcport, pinfo->destport), hi = MAX(pinfo->srcport, pinfo->destport);
    int k = wsk_port_kind(tcp_port, lo);
    if (k == 3)
        k = wsk_port_kind(tcp_port, hi);
    if (k != 1)
        return 0;
    if (!check_conversation)
        return 1;
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    if (conv && conversation_get_dissector(conv, pinfo->num))
        return 0;
    return 1;
}

static gboolean wsk_tcp_bool_pref(const char *name, gboolean dflt)
{
    module_t *m = prefs_find_module("tcp");
    pref_t *p = m ? prefs_find_preference(m, name) : NULL;
    return p ? prefs_get_bool_value(p, pref_current) : dflt;
}

/* The sequence number TCP hands its sub-dissectors (struct tcpinfo) for this packet's raw one:
 * relative to the direction's base when sequence analysis and relative numbers are on (the
 * defaults), as packet-tcp.c computes it. */
guint32 wsk_tcp_sub_seq(packet_info *pinfo, guint32 raw)
{
    if (!wsk_tcp_bool_pref("analyze_sequence_numbers", TRUE) || !wsk_tcp_bool_pref("relative_sequence_numbers", TRUE))
        return raw;
    struct tcp_analysis *tcpd = get_tcp_conversation_data(NULL, pinfo);
    return tcpd && tcpd->fwd ? raw - tcpd->fwd->base_seq : raw;
}

/* The conversation is WebSocket from frame `from` on: TCP offers its segments to our dissector
 * before any port dissector (HTTP's too). */
void wsk_claim_conversation(packet_info *pinfo, guint32 from)
{
    if (wsk_ws_handle)
        conversation_set_dissector_from_frame_number(find_or_create_conversation(pinfo), from, wsk_ws_handle);
}

/* Reassemblies other dissectors asked TCP for in one direction (`flow`) that reach past `low`,
 * the first sequence number of that direction the plugin saw (later passes show everything from
 * there as the plugin's), are given up: each then covers no byte, so TCP hands its segments one
 * by one, on this pass and every later one, to the conversation's dissector (the plugin) instead
 * of holding them for a PDU whose length was read from inside a WebSocket frame (one still open
 * would hold the rest of the direction) or handing over its reassembled bytes. */
struct wsk_release {
    guint32 low;
    int n;
};

static gboolean wsk_release_one(const void *key _U_, void *value, void *user)
{
    struct tcp_multisegment_pdu *msp = (struct tcp_multisegment_pdu *)value;
    struct wsk_release *r = (struct wsk_release *)user;
    if (msp && (gint32)(msp->nxtpdu - r->low) > 0 && msp->nxtpdu != msp->seq) {
        msp->nxtpdu = msp->seq;
        r->n++;
    }
    return FALSE;
}

static int wsk_release_flow(tcp_flow_t *flow, guint32 low)
{
    struct wsk_release r = {low, 0};
    if (flow && flow->multisegment_pdus)
        wmem_tree_foreach(flow->multisegment_pdus, wsk_release_one, &r);
    return r.n;
}

/* A connection recognised mid-stream is claimed: `fwd` is this packet's direction, `rev` the
 * other; `have_*` says the plugin saw that direction. Returns how many reassemblies were given up. */
int wsk_tcp_release_pdus(packet_info *pinfo, int have_fwd, guint32 low_fwd, int have_rev, guint32 low_rev)
{
    struct tcp_analysis *tcpd = get_tcp_conversation_data(NULL, pinfo);
    if (!tcpd)
        return 0;
    int n = 0;
    if (have_fwd)
        n += wsk_release_flow(tcpd->fwd, low_fwd);
    if (have_rev)
        n += wsk_release_flow(tcpd->rev, low_rev);
    return n;
}

/* Create the dissector handle (named "ws" when `named`), remember HTTP's, and add the heuristic. */
dissector_handle_t wsk_make_ws_handle(int proto, int named)
{
    return named ? register_dissector("ws", wsk_dissect_ws, proto)
                 : create_dissector_handle(wsk_dissect_ws, proto);
}

void wsk_add_heuristic(const char *internal_name, int proto)
{
    heur_dissector_add("tcp", wsk_heur_ws_tcp, "WebSocket over TCP (ws-keepalive)", internal_name, proto,
                       HEURISTIC_ENABLE);
}

int wsk_heur_name_taken(const char *internal_name)
{
    return find_heur_dissector_by_unique_short_name(internal_name) != NULL;
}

/* The innermost IP header in the frame's bytes, found through the network-layer source address
 * (IPv4 or IPv6, set by the innermost IP layer), which lies 12 (IPv4) or 8 (IPv6) bytes into it:
 * a pointer to it, its offset in `frame` and the captured bytes from there; NULL when the address
 * is not an IP address or not in `frame` (e.g. reassembled from fragments). One look at the tvb
 * for every TCP segment the postdissector reads. */
const guint8 *wsk_ip_header(packet_info *pinfo, tvbuff_t *frame, guint *at, guint *avail)
{
    const address *a = &pinfo->net_src;
    if (!frame || !a->data || (a->type != AT_IPv4 && a->type != AT_IPv6))
        return NULL;
    guint cap = tvb_captured_length(frame);
    if (cap == 0)
        return NULL;
    /* The whole captured range: tvb_get_ptr cannot throw. */
    const guint8 *base = tvb_get_ptr(frame, 0, (gint)cap);
    uintptr_t b = (uintptr_t)base, p = (uintptr_t)a->data;
    /* The source address is 12 bytes into an IPv4 header, 8 into an IPv6 one. */
    uintptr_t back = a->type == AT_IPv4 ? 12 : 8;
    if (p < b + back || p + (guint)a->len > b + cap)
        return NULL;
    *at = (guint)(p - back - b);
    *avail = cap - *at;
    return base + *at;
}

/* Is protocol id `proto` one of the packet's layers (pinfo->layers holds the ids)? Cheaper than
 * proto_is_frame_protocol, which compares names. */
int wsk_layers_have(packet_info *pinfo, int proto)
{
    if (!pinfo->layers)
        return 0;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f))
        if (GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto)
            return 1;
    return 0;
}

/* Append `str` to the Info column, after " | " when the column has text already: what
 * col_append_sep_str does, in linear time (col_append_sep_str walks the whole column byte by byte
 * twice per call, which is quadratic over a segment of many small frames). */
void wsk_info_append(packet_info *pinfo, const char *str)
{
    if (!pinfo->cinfo)
        return;
    const char *cur = col_get_text(pinfo->cinfo, COL_INFO);
    if (cur && cur[0])
        col_append_lstr(pinfo->cinfo, COL_INFO, " | ", str, COL_ADD_LSTR_TERMINATOR);
    else
        col_append_lstr(pinfo->cinfo, COL_INFO, str, COL_ADD_LSTR_TERMINATOR);
}

/* A registered protocol by id, looked up once (the postdissector asks for two protocols on every
 * packet): a protocol's protocol_t and short name never change once it is registered. Its
 * enabled state does change (Enabled Protocols, --disable-protocol), so that is read each time. */
struct wsk_protocol {
    int id;
    protocol_t *p;
    const char *short_name;
};

static const struct wsk_protocol *wsk_protocol(int proto)
{
    static struct wsk_protocol known[4];
    static int n = 0;
    if (proto < 0)
        return NULL;
    for (int i = 0; i < n; i++)
        if (known[i].id == proto)
            return &known[i];
    protocol_t *p = find_protocol_by_id(proto);
    if (!p)
        return NULL;
    /* Past the few ids kept: looked up every time, in a slot of its own. */
    static struct wsk_protocol other;
    struct wsk_protocol *k = n < (int)G_N_ELEMENTS(known) ? &known[n++] : &other;
    k->id = proto;
    k->p = p;
    k->short_name = proto_get_protocol_short_name(p);
    return k;
}

/* Name protocol `proto` as the one dissecting (expert infos and exceptions are attributed to
 * pinfo->current_proto, which call_dissector sets for a handle's protocol: the postdissector's
 * handle has none). Returns the previous value for wsk_restore_current_proto. */
const char *wsk_set_current_proto(packet_info *pinfo, int proto)
{
    const char *old = pinfo->current_proto;
    const struct wsk_protocol *p = wsk_protocol(proto);
    if (p && p->p)
        pinfo->current_proto = p->short_name;
    return old;
}

void wsk_restore_current_proto(packet_info *pinfo, const char *old)
{
    pinfo->current_proto = old;
}

/* proto_field_is_referenced (gboolean in 4.0, bool later): the tree is visible, or the field is
 * referenced by a filter, a -e field or a column. */
int wsk_referenced(proto_tree *tree, int hf)
{
    return tree && hf >= 0 && proto_field_is_referenced(tree, hf);
}

/* Are protocols `a` and `b` registered and enabled (Analyze > Enabled Protocols, --disable-protocol;
 * bit 0: `a`, bit 1: `b`)? The postdissector's question on
 * every packet, in one call. */
int wsk_protos_enabled(int a, int b)
{
    /* The two protocols of the last call, kept (ids do not change while epan runs): wsk_protocol's
     * entries, without its search on every packet. */
    static int ia = -2, ib = -2;
    static const struct wsk_protocol *pa = NULL, *pb = NULL;
    if (a != ia) {
        ia = a;
        pa = wsk_protocol(a);
    }
    if (b != ib) {
        ib = b;
        pb = wsk_protocol(b);
    }
    return (pa && pa->p && proto_is_protocol_enabled(pa->p)) |
           (pb && pb->p && proto_is_protocol_enabled(pb->p)) << 1;
}

/* The packet's data source number `i` (0 is the frame itself), or NULL. */
tvbuff_t *wsk_data_source(packet_info *pinfo, int i)
{
    GSList *l = g_slist_nth(pinfo->data_src, (guint)i);
    return l ? get_data_source_tvb((const struct data_source *)l->data) : NULL;
}

/* Is there room for `n` more items in the tree (gui.max_tree_items)? Adding past the limit throws,
 * which must never happen while Rust frames are on the stack. */
int wsk_tree_has_room(proto_tree *tree, unsigned n)
{
    if (!tree || !tree->tree_data)
        return 1;
    return tree->tree_data->count + n < prefs.gui_max_tree_items;
}

int wsk_inflate_init_raw(z_stream *strm)
{
    return inflateInit2(strm, -15);
}
