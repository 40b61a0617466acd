/* Decode As for the push-service protocols: the dissector table "ws.app.port" (TCP port ->
 * application protocol) with a Decode As entry, so that a connection whose handshake is not in
 * the capture, or whose handshake names nothing we know, can be forced to Engine.IO, Socket.IO,
 * STOMP, SignalR, GraphQL over WebSocket or MQTT (`-d ws.app.port==15674,stomp`, GUI: Decode
 * As... -> "WebSocket app. port"). 4.0's built-in "ws.port" table has no Decode As entry.
 * The handles put in the table only name a protocol; nobody calls them: the WebSocket dissector
 * looks the port up and dissects the messages itself (app.rs). */
#include <stdio.h>
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/decode_as.h>

#define WSK_APP_TABLE "ws.app.port"
#define WSK_APP_MAX 8

static dissector_table_t wsk_app_table;
static dissector_handle_t wsk_app_handles[WSK_APP_MAX];
static int wsk_app_codes[WSK_APP_MAX];
static int wsk_app_n;

static int wsk_app_never_called(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)tvb; (void)pinfo; (void)tree; (void)data;
    return 0;
}

static void wsk_label_src(packet_info *pinfo, gchar *result)
{
    snprintf(result, MAX_DECODE_AS_PROMPT_LEN, "source (%u)", pinfo->srcport);
}
static gpointer wsk_value_src(packet_info *pinfo)
{
    return GUINT_TO_POINTER(pinfo->srcport);
}
static void wsk_label_dst(packet_info *pinfo, gchar *result)
{
    snprintf(result, MAX_DECODE_AS_PROMPT_LEN, "destination (%u)", pinfo->destport);
}
static gpointer wsk_value_dst(packet_info *pinfo)
{
    return GUINT_TO_POINTER(pinfo->destport);
}

static build_valid_func wsk_src_values[] = {wsk_value_src};
static build_valid_func wsk_dst_values[] = {wsk_value_dst};
static decode_as_value_t wsk_da_values[] = {
    {wsk_label_src, 1, wsk_src_values},
    {wsk_label_dst, 1, wsk_dst_values},
};
static decode_as_t wsk_da = {
    "ws", WSK_APP_TABLE, 2, 1, wsk_da_values, "WebSocket app. port", "as",
    decode_as_default_populate_list, decode_as_default_reset, decode_as_default_change, NULL,
};

/* proto_register time. Returns 0 (and registers nothing) when the table name is taken. */
int wsk_app_table_register(int proto)
{
    if (find_dissector_table(WSK_APP_TABLE))
        return 0;
    wsk_app_table = register_dissector_table(WSK_APP_TABLE, "WebSocket application protocol (TCP port)",
                                             proto, FT_UINT16, BASE_DEC);
    register_decode_as(&wsk_da);
    return 1;
}

static void wsk_app_add(dissector_handle_t h, int code)
{
    if (!wsk_app_table || !h || wsk_app_n >= WSK_APP_MAX)
        return;
    wsk_app_handles[wsk_app_n] = h;
    wsk_app_codes[wsk_app_n] = code;
    wsk_app_n++;
    dissector_add_for_decode_as(WSK_APP_TABLE, h);
}

/* Hand-off time: one choice per protocol (its filter name is what `-d` takes). */
void wsk_app_table_add(int proto, int code)
{
    if (proto >= 0)
        wsk_app_add(create_dissector_handle(wsk_app_never_called, proto), code);
}

/* Wireshark's own MQTT dissector, when this Wireshark has one. */
void wsk_app_table_add_dissector(const char *name, int code)
{
    wsk_app_add(find_dissector(name), code);
}

/* The code of the protocol chosen for this TCP port, or 0. */
int wsk_app_table_lookup(guint32 port)
{
    if (!wsk_app_table || !port)
        return 0;
    dissector_handle_t h = dissector_get_uint_handle(wsk_app_table, port);
    for (int i = 0; h && i < wsk_app_n; i++)
        if (wsk_app_handles[i] == h)
            return wsk_app_codes[i];
    return 0;
}
