/* The "WebSocket/Connections" statistics tree (tshark -q -z ws,tree; GUI: Statistics menu).
 *
 * It listens to the "ws" tap (tap.c): one record per message, ping, pong, keep-alive probe and
 * ACK, Close frame and connection end. Per connection it shows:
 *
 *   Connection 1: 10.77.0.1:41236 (client) <-> 10.77.0.2:8765 (server)   count = messages
 *     Lifetime: 1.532 s (frames 8-619)                       first to last event (ms below 1 s)
 *     Longest silence between messages: 512.000 ms (before frame 65)
 *     Messages client -> server: 266961 bytes                count/avg/min/max = message sizes
 *       Binary / Close / Ping / Pong / Text                  the same per type
 *     Messages server -> client: ...
 *     End: <how the connection ended>                        or "open at capture end"
 *       Close 1000 from the client                           one line per Close code and sender
 *     Pings                                                  count = pings (either side)
 *       answered, RTT (ms)                                   count/avg/min/max = RTT
 *       no pong                                              pings without an answer (so far)
 *       unsolicited pongs
 *       late                                                 pings late for the sender's cadence
 *     TCP keep-alive probes                                  count = probes
 *       answered, ACK RTT (ms)
 *       unanswered
 *     Application protocol: STOMP                            count = frames/packets/records
 *       SEND, MESSAGE, EVENT "chat message", ...             one line per command or event
 *     Heartbeats (stomp)                                     count = application heartbeats
 *       answered, RTT (ms)                                   paired ones (Engine.IO, MQTT, graphql)
 *       no answer
 *       late                                                 later than the protocol allows
 *
 * The "late" and application lines appear only on connections that have them.
 *
 * stats_tree nodes are counters; values that are not counts (times, byte totals, the end) are
 * written into node names, which are renamed as the values change (the tree has no "finished"
 * callback). Renaming and the direct counter updates use the implementor's API
 * (epan/stats_tree_priv.h), whose stat_node layout is the same in 4.0, 4.4 and 4.6.
 * Children are sorted by name (the tree's default sort column); the first group of lines is
 * kept on top with ST_FLG_SORT_TOP. Connections appear in the order they are first seen.
 */
#include <string.h>
#include <math.h>
#include <epan/stats_tree.h>
#include <epan/stats_tree_priv.h>
#include "tap.h"

#define N_TYPES 8

typedef struct {
    guint32 conv;
    int index;               /* 1-based, in order of appearance */
    stat_node *conn;         /* the connection's node */
    stat_node *life, *gap, *dir[2], *type[2][N_TYPES], *end, *pings, *ping_rtt, *no_pong,
        *unsolicited, *probes, *ack_rtt, *unanswered, *ping_late, *app, *hb, *hb_rtt, *hb_none,
        *hb_late;
    /* state, cleared when the tree is reset */
    gboolean seen;
    double first, last, last_msg, max_gap;
    guint32 first_num, last_num, gap_num;
    gboolean have_msg;
    guint64 bytes[2];
    guint pings_n, answered_n, probes_n, acks_n, hb_asks_n, hb_answered_n;
    gboolean ended;
} wsk_conn;

typedef struct {
    GHashTable *conns;       /* conv -> wsk_conn */
    int count;
    guint32 last_num;
} wsk_tree;

static GHashTable *trees;    /* stats_tree* -> wsk_tree* */

static stat_node *node_by_id(stats_tree *st, int id)
{
    return (stat_node *)g_ptr_array_index(st->parents, id);
}

static stat_node *node_new(stats_tree *st, stat_node *parent, const char *name, stat_node_datatype dt)
{
    return node_by_id(st, stats_tree_create_node(st, name, parent ? parent->id : 0, dt, TRUE));
}

static void node_rename(stat_node *n, const char *name)
{
    if (strcmp(n->name, name) == 0)
        return;
    stats_tree *st = n->st;
    if (n->parent && n->parent->hash && g_hash_table_lookup(n->parent->hash, n->name) == n)
        g_hash_table_remove(n->parent->hash, n->name);
    if (n->id >= 0 && g_hash_table_lookup(st->names, n->name) == n)
        g_hash_table_remove(st->names, n->name);
    char *old = n->name;
    n->name = g_strdup(name);
    if (n->parent && n->parent->hash)
        g_hash_table_replace(n->parent->hash, n->name, n);
    if (n->id >= 0)
        g_hash_table_replace(st->names, n->name, n);
    g_free(old);
}

static void node_avg_int(stat_node *n, gint v)
{
    n->counter++;
    n->total.int_total += v;
    if (n->minvalue.int_min > v)
        n->minvalue.int_min = v;
    if (n->maxvalue.int_max < v)
        n->maxvalue.int_max = v;
    n->st_flags |= ST_FLG_AVERAGE;
}

static void node_avg_float(stat_node *n, gfloat v)
{
    n->counter++;
    n->total.float_total += v;
    if (n->minvalue.float_min > v)
        n->minvalue.float_min = v;
    if (n->maxvalue.float_max < v)
        n->maxvalue.float_max = v;
    n->st_flags |= ST_FLG_AVERAGE;
}

static const char *type_name(int opcode)
{
    switch (opcode) {
    case 0: return "Continuation";
    case 1: return "Text";
    case 2: return "Binary";
    case 8: return "Close";
    case 9: return "Ping";
    case 10: return "Pong";
    default: return NULL;
    }
}

static int type_slot(int opcode)
{
    switch (opcode) {
    case 0: return 0;
    case 1: return 1;
    case 2: return 2;
    case 8: return 3;
    case 9: return 4;
    case 10: return 5;
    default: return 6;
    }
}

static void wsk_conn_free(gpointer p)
{
    g_free(p);
}

static wsk_tree *tree_of(stats_tree *st)
{
    if (!trees)
        trees = g_hash_table_new(g_direct_hash, g_direct_equal);
    wsk_tree *t = (wsk_tree *)g_hash_table_lookup(trees, st);
    if (!t) {
        t = g_new0(wsk_tree, 1);
        t->conns = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, wsk_conn_free);
        g_hash_table_insert(trees, st, t);
    }
    return t;
}

static void stats_init(stats_tree *st)
{
    /* (re)initialised tree: its nodes are gone */
    wsk_tree *t = tree_of(st);
    g_hash_table_remove_all(t->conns);
    t->count = 0;
    t->last_num = 0;
}

static void stats_cleanup(stats_tree *st)
{
    if (!trees)
        return;
    wsk_tree *t = (wsk_tree *)g_hash_table_lookup(trees, st);
    if (t) {
        g_hash_table_destroy(t->conns);
        g_free(t);
        g_hash_table_remove(trees, st);
    }
}

/* stats_tree_reset (a re-tap in the GUI) zeroes the counters but keeps the nodes. */
static void conn_clear(gpointer k _U_, gpointer v, gpointer u _U_)
{
    wsk_conn *c = (wsk_conn *)v;
    c->seen = FALSE;
    c->have_msg = FALSE;
    c->max_gap = 0;
    c->gap_num = 0;
    c->bytes[0] = c->bytes[1] = 0;
    c->pings_n = c->answered_n = c->probes_n = c->acks_n = 0;
    c->hb_asks_n = c->hb_answered_n = 0;
    c->ended = FALSE;
}

static wsk_conn *conn_get(stats_tree *st, wsk_tree *t, const wsk_tap_info *ti)
{
    wsk_conn *c = (wsk_conn *)g_hash_table_lookup(t->conns, GUINT_TO_POINTER(ti->conv));
    if (c)
        return c;
    c = g_new0(wsk_conn, 1);
    c->conv = ti->conv;
    c->index = ++t->count;
    char *name = g_strdup_printf("Connection %d: %s (client) <-> %s (server)", c->index, ti->client,
                                 ti->server);
    c->conn = node_new(st, NULL, name, STAT_DT_INT);
    g_free(name);
    c->life = node_new(st, c->conn, "Lifetime", STAT_DT_INT);
    c->gap = node_new(st, c->conn, "Longest silence between messages: none", STAT_DT_INT);
    c->dir[1] = node_new(st, c->conn, "Messages client -> server: 0 bytes", STAT_DT_INT);
    c->dir[0] = node_new(st, c->conn, "Messages server -> client: 0 bytes", STAT_DT_INT);
    c->end = node_new(st, c->conn, "End: still open at the end of the capture", STAT_DT_INT);
    c->pings = node_new(st, c->conn, "Pings", STAT_DT_INT);
    c->ping_rtt = node_new(st, c->pings, "answered, RTT (ms)", STAT_DT_FLOAT);
    c->no_pong = node_new(st, c->pings, "no pong", STAT_DT_INT);
    c->unsolicited = node_new(st, c->pings, "unsolicited pongs", STAT_DT_INT);
    c->probes = node_new(st, c->conn, "TCP keep-alive probes", STAT_DT_INT);
    c->ack_rtt = node_new(st, c->probes, "answered, ACK RTT (ms)", STAT_DT_FLOAT);
    c->unanswered = node_new(st, c->probes, "unanswered", STAT_DT_INT);
    g_hash_table_insert(t->conns, GUINT_TO_POINTER(ti->conv), c);
    return c;
}

/* "12.345 s", or "3.456 ms" below one second */
static const char *dur(char *buf, size_t n, double s)
{
    if (s < 1.0)
        snprintf(buf, n, "%.3f ms", s * 1000.0);
    else
        snprintf(buf, n, "%.3f s", s);
    return buf;
}

static void conn_names(wsk_conn *c)
{
    char buf[512], d[32];
    snprintf(buf, sizeof buf, "Lifetime: %s (frames %u-%u)", dur(d, sizeof d, c->last - c->first),
             c->first_num, c->last_num);
    node_rename(c->life, buf);
    if (c->gap_num)
        snprintf(buf, sizeof buf, "Longest silence between messages: %s (before frame %u)",
                 dur(d, sizeof d, c->max_gap), c->gap_num);
    else
        snprintf(buf, sizeof buf, "Longest silence between messages: none");
    node_rename(c->gap, buf);
    for (int d = 0; d < 2; d++) {
        snprintf(buf, sizeof buf, "Messages %s: %" G_GUINT64_FORMAT " bytes",
                 d ? "client -> server" : "server -> client", c->bytes[d]);
        node_rename(c->dir[d], buf);
    }
    c->no_pong->counter = (gint)(c->pings_n - MIN(c->answered_n, c->pings_n));
    c->unanswered->counter = (gint)(c->probes_n - MIN(c->acks_n, c->probes_n));
    if (c->hb_none)
        c->hb_none->counter = (gint)(c->hb_asks_n - MIN(c->hb_answered_n, c->hb_asks_n));
    /* the summary lines first (the flags are cleared when the tree is reset) */
    c->life->st_flags |= ST_FLG_SORT_TOP;
    c->gap->st_flags |= ST_FLG_SORT_TOP;
    c->dir[0]->st_flags |= ST_FLG_SORT_TOP;
    c->dir[1]->st_flags |= ST_FLG_SORT_TOP;
    c->conn->st_flags |= ST_FLG_ROOTCHILD;
}

/* The heartbeat lines of a connection, made at its first application heartbeat. */
static void hb_nodes(stats_tree *st, wsk_conn *c, const char *app, gboolean paired)
{
    if (!c->hb) {
        char *name = g_strdup_printf("Heartbeats (%s)", app);
        c->hb = node_new(st, c->conn, name, STAT_DT_INT);
        g_free(name);
        c->hb_late = node_new(st, c->hb, "late", STAT_DT_INT);
    }
    /* one-way heartbeats (STOMP, SignalR, graphql-ws ka) have no answers to show */
    if (paired && !c->hb_rtt) {
        c->hb_rtt = node_new(st, c->hb, "answered, RTT (ms)", STAT_DT_FLOAT);
        c->hb_none = node_new(st, c->hb, "no answer", STAT_DT_INT);
    }
}

static tap_packet_status stats_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_,
                                      const void *p, tap_flags_t flags _U_)
{
    const wsk_tap_info *ti = (const wsk_tap_info *)p;
    if (!ti)
        return TAP_PACKET_DONT_REDRAW;
    wsk_tree *t = tree_of(st);
    if (pinfo->num < t->last_num) /* the packets are tapped again: start over */
        g_hash_table_foreach(t->conns, conn_clear, NULL);
    t->last_num = pinfo->num;

    wsk_conn *c = conn_get(st, t, ti);
    if (!c->seen) {
        c->seen = TRUE;
        c->first = ti->time;
        c->first_num = pinfo->num;
    }
    c->last = ti->time;
    c->last_num = pinfo->num;
    int fc = ti->from_client == 1;
    const char *sender = ti->from_client == 1 ? "the client" : ti->from_client == 0 ? "the server" : "an unknown side";

    switch (ti->kind) {
    case WSK_TAP_MESSAGE: {
        gint len = ti->len > G_MAXINT ? G_MAXINT : (gint)ti->len;
        c->conn->counter++;
        node_avg_int(c->dir[fc], len);
        c->bytes[fc] += ti->len;
        int slot = type_slot(ti->opcode);
        if (!c->type[fc][slot]) {
            char other[32];
            const char *n = type_name(ti->opcode);
            if (!n) {
                snprintf(other, sizeof other, "opcode %d", ti->opcode);
                n = other;
            }
            c->type[fc][slot] = node_new(st, c->dir[fc], n, STAT_DT_INT);
        }
        node_avg_int(c->type[fc][slot], len);
        if (c->have_msg) {
            double gap = ti->time - c->last_msg;
            if (c->gap_num == 0 || gap > c->max_gap) {
                c->max_gap = gap;
                c->gap_num = pinfo->num;
            }
        }
        c->have_msg = TRUE;
        c->last_msg = ti->time;
        break;
    }
    case WSK_TAP_APP: {
        const char *what = ti->what ? ti->what : "?";
        if (!c->app) {
            char *name = g_strdup_printf("Application protocol: %s", ti->app ? ti->app : "?");
            c->app = node_new(st, c->conn, name, STAT_DT_INT);
            g_free(name);
        }
        stat_node *n = (stat_node *)g_hash_table_lookup(c->app->hash, what);
        if (!n)
            n = node_new(st, c->app, what, STAT_DT_INT);
        n->counter++;
        c->app->counter++;
        break;
    }
    case WSK_TAP_HEARTBEAT:
    case WSK_TAP_PING:
        if (ti->app) {
            hb_nodes(st, c, ti->app, ti->kind == WSK_TAP_PING);
            c->hb->counter++;
            if (ti->kind == WSK_TAP_PING)
                c->hb_asks_n++;
            if (ti->late)
                c->hb_late->counter++;
            break;
        }
        c->pings_n++;
        c->pings->counter++;
        if (ti->late) {
            if (!c->ping_late)
                c->ping_late = node_new(st, c->pings, "late", STAT_DT_INT);
            c->ping_late->counter++;
        }
        break;
    case WSK_TAP_PONG:
        if (ti->app) {
            hb_nodes(st, c, ti->app, TRUE);
            if (ti->rtt >= 0) {
                c->hb_answered_n++;
                node_avg_float(c->hb_rtt, (gfloat)(ti->rtt * 1000.0));
            }
            if (ti->late) /* an answer later than the protocol allows */
                c->hb_late->counter++;
            break;
        }
        if (ti->rtt >= 0) {
            c->answered_n++;
            node_avg_float(c->ping_rtt, (gfloat)(ti->rtt * 1000.0));
        } else {
            c->unsolicited->counter++;
        }
        break;
    case WSK_TAP_PROBE:
        c->probes_n++;
        c->probes->counter++;
        break;
    case WSK_TAP_ACK:
        if (ti->rtt >= 0) {
            c->acks_n++;
            node_avg_float(c->ack_rtt, (gfloat)(ti->rtt * 1000.0));
        }
        break;
    case WSK_TAP_CLOSE: {
        char buf[128];
        if (ti->close_code >= 0)
            snprintf(buf, sizeof buf, "Close %d from %s", ti->close_code, sender);
        else
            snprintf(buf, sizeof buf, "Close without a code from %s", sender);
        stat_node *n = (stat_node *)g_hash_table_lookup(c->end->hash, buf);
        if (!n)
            n = node_new(st, c->end, buf, STAT_DT_INT);
        n->counter++;
        c->end->counter++;
        break;
    }
    case WSK_TAP_END:
        if (!c->ended) {
            char *name = g_strdup_printf("End: %s%s", ti->text ? ti->text : "TCP FIN/RST",
                                         ti->abnormal ? " (abnormal)" : "");
            node_rename(c->end, name);
            g_free(name);
            c->ended = TRUE;
        }
        break;
    default:
        break;
    }
    conn_names(c);
    return TAP_PACKET_REDRAW;
}

void wsk_stats_register(void)
{
    stats_tree_register_plugin("ws", "ws", "WebSocket/Connections",
                               ST_SORT_COL_NAME << ST_FLG_SRTCOL_SHIFT, stats_packet, stats_init,
                               stats_cleanup);
}
