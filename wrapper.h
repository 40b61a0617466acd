/* The slice of Wireshark's epan API that the plugin binds (see build.rs for the allowlist). */
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/column-utils.h>
#include <epan/tvbuff.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/ftypes/ftypes.h>
#include <zlib.h>

/* Functions of our C shim (src/epan/shim.c): macros and static inlines that bindgen cannot bind,
 * and wrappers that catch Wireshark exceptions so no longjmp crosses Rust frames. */
void wsk_log_warning(const char *msg);
void wsk_item_set_generated(proto_item *item);
void wsk_item_set_hidden(proto_item *item);
int wsk_call_dissector_guarded(dissector_handle_t handle, tvbuff_t *tvb, packet_info *pinfo,
                               proto_tree *tree, void *data);
int wsk_heur_name_taken(const char *internal_name);
void wsk_set_handles(dissector_handle_t ws, dissector_handle_t http);
dissector_handle_t wsk_make_ws_handle(int proto, int named);
void wsk_add_heuristic(const char *internal_name, int proto);
guint32 wsk_tcpinfo_seq(const void *tcpinfo);
/* What wsk_dissect_ws hands tcp_dissect_pdus for its callbacks: TCP's tcpinfo (or NULL) and the
 * connection index wsk_rs_prepare looked up for this packet (have_conv 0: none). */
struct wsk_pdu_ctx {
    const void *tcpinfo;
    int have_conv;
    guint32 conv;
};
/* The frame's bytes from the packet's innermost IP header on (found through the network-layer
 * source address, which points into them): the header's offset in the frame and how many captured
 * bytes follow it; NULL when the address is not an IP address in the frame's bytes. */
const guint8 *wsk_ip_header(packet_info *pinfo, tvbuff_t *frame, guint *at, guint *avail);
tvbuff_t *wsk_data_source(packet_info *pinfo, int i);
int wsk_layers_have(packet_info *pinfo, int proto);
int wsk_protos_enabled(int a, int b);
void wsk_http_ports_forget(void);
int wsk_referenced(proto_tree *tree, int hf);
const char *wsk_set_current_proto(packet_info *pinfo, int proto);
void wsk_restore_current_proto(packet_info *pinfo, const char *old);
void wsk_info_append(packet_info *pinfo, const char *str);
int wsk_tree_has_room(proto_tree *tree, unsigned n);
int wsk_http_owns_segment(packet_info *pinfo, int check_conversation);
guint32 wsk_tcp_sub_seq(packet_info *pinfo, guint32 raw);
void wsk_claim_conversation(packet_info *pinfo, guint32 from);
int wsk_tcp_release_pdus(packet_info *pinfo, int have_fwd, guint32 low_fwd, int have_rev, guint32 low_rev);
/* zlib's inflateInit2 is a macro: a raw-DEFLATE stream (no zlib header) with a 32 KiB window. */
int wsk_inflate_init_raw(z_stream *strm);
