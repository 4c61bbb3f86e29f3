/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "attach.h"
#include "chain.h"
#include "foreign.h"
#include "log.h"
#include "netdev.h"
#include "reconcile.h"
#include "watchdog.h"

static int netlink_read(Context *c);

static void report_foreign(Context *c, Chain *ch, uint32_t attached, const char *why)
{
        g_autofree char *f_id = NULL, *f_name = NULL, *f_tag = NULL, *f_link = NULL, *f_pid = NULL, *f_comm = NULL,
                        *root = NULL, *by = NULL, *holder = NULL;
        ForeignInfo info = {};
        LogFields f;

        if (attached)
                (void) foreign_inspect(ch->id.hook, (int) if_nametoindex(ch->id.ifname), attached, &info);

        /* Ours: what our link runs, the root or an XDP chain's head instance (chain_attached_id()). */
        root = g_strdup_printf("L3AF_ROOT_PROG_ID=%u", chain_attached_id(ch));
        f_id = g_strdup_printf("L3AF_FOREIGN_PROG_ID=%u", attached);
        f_name = g_strdup_printf("L3AF_FOREIGN_PROG_NAME=%s", info.name);
        f_tag = g_strdup_printf("L3AF_FOREIGN_PROG_TAG=%s", info.tag);
        f_link = g_strdup_printf("L3AF_FOREIGN_LINK_ID=%u", info.link_id);
        f_pid = info.holder_pid ? g_strdup_printf("L3AF_FOREIGN_PID=%d", (int) info.holder_pid) : g_strdup("L3AF_FOREIGN_PID=");
        f_comm = g_strdup_printf("L3AF_FOREIGN_COMM=%s", info.holder_comm);
        by = g_strdup_printf("L3AF_DETECTED_BY=%s", why);
        {
                const char *extra[] = { root, f_id, f_name, f_tag, f_link, f_pid, f_comm, by, NULL };

                f = chain_log_fields(ch, extra);
                if (!attached)
                        log_structured(LOG_WARNING, 0, L3AF_MSG_FOREIGN_PROGRAM, &f,
                                       "Chain %s is displaced: our link was detached and nothing runs at the hook "
                                       "(our %s is program %u; found by %s).",
                                       CHAIN_TEXT(ch), ch->head_attached ? "head" : "root", chain_attached_id(ch), why);
                else {
                        if (info.holder_pid)
                                holder = g_strdup_printf("held by pid %d (%s)", (int) info.holder_pid, info.holder_comm);
                        else
                                holder = g_strdup(info.link_id ? "held by a link no process has open" :
                                                                 "attached through netlink");
                        log_structured(LOG_WARNING, 0, L3AF_MSG_FOREIGN_PROGRAM, &f,
                                       "Chain %s is displaced by a foreign program: id %u, name '%s', tag %s, %s%s%s "
                                       "(our %s is program %u; found by %s).",
                                       CHAIN_TEXT(ch), attached, info.name, info.tag, holder,
                                       info.link_id ? ", link " : "", info.link_id ? strchr(f_link, '=') + 1 : "",
                                       ch->head_attached ? "head" : "root", chain_attached_id(ch), why);
                }
        }
        c->foreign_reports++;
        context_mark_foreign_program(c, ch, attached, info.name, "reported");
}

/*
 * The chain's device is no longer the declared one: it left our network
 * namespace (unregistered or moved), or it was renamed and the declared name
 * no longer names it. Our link lets go of it (we never filter a device that
 * is not the declared one) and the chain waits, its programs and maps kept.
 * 'now' is the device's new name, NULL when it is gone.
 */
static void device_lost(Context *c, Chain *ch, const char *now)
{
        g_autofree char *f_index = g_strdup_printf("L3AF_IFINDEX=%u", ch->ifindex);
        g_autofree char *f_new = now ? g_strdup_printf("L3AF_NEW_INTERFACE=%s", now) : NULL;
        const char *extra[] = { f_index, f_new, NULL };
        LogFields f = chain_log_fields(ch, extra);

        if (ch->link_fd >= 0)
                (void) bpf_link_detach(ch->link_fd);  /* the kernel may have done so already */
        if (now)
                log_structured(LOG_WARNING, 0, L3AF_MSG_INTERFACE_MISSING, &f,
                               "Interface %s (ifindex %u) was renamed to %s; chain %s lets go of it and waits for "
                               "a device named %s, its programs and maps kept.",
                               ch->id.ifname, ch->ifindex, now, CHAIN_TEXT(ch), ch->id.ifname);
        else
                log_structured(LOG_WARNING, 0, L3AF_MSG_INTERFACE_MISSING, &f,
                               "Interface %s (ifindex %u) is gone; chain %s waits for it, its programs and maps "
                               "kept.",
                               ch->id.ifname, ch->ifindex, CHAIN_TEXT(ch));
        ch->ifindex = 0;
        ch->waiting = true;
        ch->displaced = false;
        ch->foreign_id = 0;
        context_mark_status(c);
}

/*
 * Is the device our link was attached to (ch->ifindex) still the declared
 * one? Returns 0 if so; -ENODEV after device_lost() (the chain has no device
 * now); another -errno when the kernel could not be asked, and then nothing
 * is changed: an error is never taken for a departure.
 */
static int device_check(Context *c, Chain *ch)
{
        char now[IF_NAMESIZE];
        uint32_t declared = 0;
        int r;

        r = netdev_name_of_index(ch->ifindex, now);
        if (r == -ENODEV) {
                device_lost(c, ch, NULL);
                return -ENODEV;
        }
        if (r < 0)
                return r;
        r = netdev_index_of_name(ch->id.ifname, &declared);
        if (r < 0 && r != -ENODEV)
                return r;
        if (declared != ch->ifindex) {
                device_lost(c, ch, now);
                return -ENODEV;
        }
        return 0;
}

/* The chain has no device: attach it to the one that now has the declared name, if any. */
static void device_found(Context *c, Chain *ch, uint32_t ifindex, uint32_t attached)
{
        g_autofree char *error = NULL;
        LogFields f = chain_log_fields(ch, NULL);
        bool was_waiting = ch->waiting;

        ch->waiting = false;
        if (attached != 0) {
                /* Something else holds the hook of the device that has our name: a displacement. */
                ch->ifindex = ifindex;
                return;
        }
        if (chain_attach(ch, &error) < 0) {
                log_structured(LOG_ERR, 0, L3AF_MSG_CHAIN_FAILED, &f, "Interface %s is %s but chain %s cannot attach: %s",
                               ch->id.ifname, was_waiting ? "back" : "there", CHAIN_TEXT(ch), error);
                ch->waiting = ch->ifindex == 0;
        } else {
                f = chain_log_fields(ch, NULL);
                log_structured(LOG_NOTICE, 0, L3AF_MSG_CHAIN_RESTORED, &f,
                               "Interface %s is %s (ifindex %u); chain %s attached at generation %" G_GUINT64_FORMAT ".",
                               ch->id.ifname, was_waiting ? "back" : "there", ifindex, CHAIN_TEXT(ch), ch->generation);
                ch->displaced = false;
                ch->foreign_id = 0;
        }
        context_mark_status(c);
}

static void restore(Context *c, Chain *ch, uint32_t attached)
{
        g_autofree char *error = NULL;
        LogFields f = chain_log_fields(ch, NULL);
        int r;

        if (attached && attached != chain_attached_id(ch)) {
                ForeignInfo info;

                (void) foreign_inspect(ch->id.hook, (int) if_nametoindex(ch->id.ifname), attached, &info);
                r = foreign_remove(ch->id.hook, (int) if_nametoindex(ch->id.ifname), &info, &error);
                if (r < 0) {
                        log_structured(LOG_ERR, -r, L3AF_MSG_CHAIN_FAILED, &f, "Chain %s: cannot restore: %s",
                                       CHAIN_TEXT(ch),
                                       error);
                        return;
                }
        }
        r = chain_attach(ch, &error);
        if (r < 0) {
                if (device_check(c, ch) == -ENODEV)
                        return;  /* not a failure to restore: the device left meanwhile (journaled as such) */
                log_structured(LOG_ERR, -r, L3AF_MSG_CHAIN_FAILED, &f, "Chain %s: cannot restore: %s",
                               CHAIN_TEXT(ch), error);
                return;
        }
        ch->displaced = false;
        ch->foreign_id = 0;
        context_mark_foreign_program(c, ch, attached, NULL, "restored");
        f = chain_log_fields(ch, NULL);
        log_structured(LOG_NOTICE, 0, L3AF_MSG_CHAIN_RESTORED, &f,
                       "Chain %s restored (OnForeignProgram=restore): our %s %u is attached again, generation "
                       "%" G_GUINT64_FORMAT " unchanged.",
                       CHAIN_TEXT(ch), ch->head_attached ? "head" : "root", chain_attached_id(ch), ch->generation);
}

/* Checks one chain now; 'why' says what prompted it ("netlink", "sweep", ...). */
static void watchdog_check(Context *c, Chain *ch, const char *why)
{
        uint32_t attached = 0, link_if = 0, link_prog = 0, declared = 0;
        bool changed = false;
        int r;

        if (ch->root_fd < 0) {
                /* Never built because its interface was missing: build it now. */
                if (ch->waiting && netdev_index_of_name(ch->id.ifname, &declared) >= 0) {
                        LogFields f = chain_log_fields(ch, NULL);

                        log_structured(LOG_INFO, 0, L3AF_MSG_INTERFACE_MISSING, &f,
                                       "Interface %s appeared; applying chain %s.", ch->id.ifname, CHAIN_TEXT(ch));
                        (void) reconcile_request(c, NULL, NULL);
                }
                return;
        }

        /*
         * Our link first, the device after: the kernel takes a device out of
         * its tables before it empties the device's hooks (unregister_netdevice),
         * so a link found detached here on a device found present below was
         * detached by someone, not by the device leaving.
         */
        if (ch->link_fd >= 0 && (link_ifindex(ch->link_fd, &link_if) < 0 || link_prog_id(ch->link_fd, &link_prog) < 0))
                return;  /* only a definite answer may lead to a restore: look again later */
        if (ch->ifindex != 0) {
                r = device_check(c, ch);
                if (r < 0 && r != -ENODEV)
                        return;  /* the kernel could not be asked: look again later */
        }

        r = netdev_index_of_name(ch->id.ifname, &declared);
        if (r < 0) {
                if (r == -ENODEV && !ch->waiting) {
                        ch->waiting = true;
                        context_mark_status(c);
                }
                return;
        }
        if (ch->id.hook == HOOK_XDP && link_if == declared && ch->ifindex == declared)
                /* While our link holds the XDP hook the kernel lets nothing else attach there:
                 * no need for a netlink dump (what bpf_xdp_query costs) on the healthy path. What
                 * runs is the program behind our link (someone may have swapped it). */
                attached = link_prog;
        else if (hook_query(ch->id.hook, (int) declared, &attached) < 0)
                return;

        if (ch->ifindex == 0) {
                device_found(c, ch, declared, attached);
                if (ch->ifindex == 0 || attached == 0)
                        return;
                changed = true;
        }

        if (link_if == ch->ifindex && attached == chain_attached_id(ch)) {
                if (ch->displaced) {
                        LogFields f = chain_log_fields(ch, NULL);

                        ch->displaced = false;
                        ch->foreign_id = 0;
                        log_structured(LOG_NOTICE, 0, L3AF_MSG_CHAIN_RESTORED, &f,
                                       "Chain %s runs our %s again.", CHAIN_TEXT(ch), ch->head_attached ? "head" : "root");
                        context_mark_status(c);
                }
                return;
        }

        /* Nothing runs where our link was: if the device left meanwhile, that is what happened. */
        if (attached == 0 && device_check(c, ch) < 0)
                return;

        /* Displaced: journal each occurrence once. */
        if ((!ch->displaced || ch->foreign_id != attached) && streq(why, "sweep") && netlink_read(c) > 0) {
                /* The kernel announces a netlink attach as it makes it: its event, queued after our last
                 * read, says how the program came. Look again with it handled. */
                watchdog_check(c, ch, why);
                return;
        }
        if (!ch->displaced || ch->foreign_id != attached) {
                ch->displaced = true;
                ch->foreign_id = attached;
                report_foreign(c, ch, attached, why);
                changed = true;
        }
        if (ch->on_foreign == FOREIGN_POLICY_RESTORE)
                restore(c, ch, attached);
        if (changed)
                context_mark_status(c);
}

void watchdog_check_all(Context *c, const char *why)
{
        g_autoptr(GPtrArray) chains = g_ptr_array_new();
        GHashTableIter it;
        Chain *ch;

        /* A check may ask for a reconcile, which may change the table: snapshot it. */
        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch))
                g_ptr_array_add(chains, ch);
        for (guint i = 0; i < chains->len; i++)
                watchdog_check(c, chains->pdata[i], why);
}

/*
 * A link event names the device by its ifindex and its current name: check
 * the chains on that device (it may have left or been renamed: the event
 * carries the new name only), the chains that declare that name, and the
 * chains without a device (the name they wait for may have arrived as an
 * alternative name, which the event does not carry).
 */
static void check_device(Context *c, uint32_t ifindex, const char *ifname)
{
        g_autoptr(GPtrArray) chains = g_ptr_array_new();
        GHashTableIter it;
        Chain *ch;

        g_hash_table_iter_init(&it, c->chains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &ch))
                if (ch->ifindex == ifindex || ch->ifindex == 0 || streq(ch->id.ifname, ifname))
                        g_ptr_array_add(chains, ch);
        for (guint i = 0; i < chains->len; i++)
                watchdog_check(c, chains->pdata[i], "netlink");
}

/* Reads and handles every queued link event. Returns how many there were, or -errno. */
static int netlink_read(Context *c)
{
        char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
        int handled = 0;

        for (;;) {
                ssize_t n = recv(c->netlink_fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return handled;
                        if (errno == ENOBUFS) {
                                /* Events were lost: look at everything. */
                                watchdog_check_all(c, "netlink");
                                handled++;
                                continue;
                        }
                        return log_error_errno(errno, "Reading rtnetlink failed: %m");
                }
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
                        struct ifinfomsg *ifi = NLMSG_DATA(h);
                        int len = (int) h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
                        char name[IF_NAMESIZE] = {};

                        if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
                                continue;
                        for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
                                if (a->rta_type == IFLA_IFNAME) {
                                        memcpy(name, RTA_DATA(a), MIN((size_t) RTA_PAYLOAD(a), sizeof(name) - 1));
                                        break;
                                }
                        check_device(c, (uint32_t) ifi->ifi_index, name);
                        handled++;
                }
        }
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        int r = netlink_read(userdata);

        return r < 0 ? r : 0;
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata)
{
        Context *c = userdata;

        /* Events already queued say more than the sweep (what happened, not only what is): read them first. */
        (void) netlink_read(c);
        watchdog_check_all(c, "sweep");
        return sd_event_source_set_time_relative(s, c->settings.watchdog_interval_usec);
}

int watchdog_start(Context *c)
{
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open rtnetlink: %m");
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return log_error_errno(errno, "Cannot subscribe to link events: %m");
        r = sd_event_add_io(c->event, &c->netlink_source, fd, EPOLLIN, on_netlink, c);
        if (r < 0)
                return log_error_errno(r, "Cannot watch rtnetlink: %m");
        c->netlink_fd = TAKE_FD(fd);
        /* Before the sweep when both are due, for the same reason as on_sweep()'s drain. */
        r = sd_event_source_set_priority(c->netlink_source, SD_EVENT_PRIORITY_NORMAL - 1);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the rtnetlink watch: %m");

        if (c->settings.watchdog_interval_usec > 0) {
                r = sd_event_add_time_relative(c->event, &c->sweep_source, CLOCK_MONOTONIC,
                                               c->settings.watchdog_interval_usec,
                                               MAX(c->settings.watchdog_interval_usec / 20, 1000), on_sweep, c);
                if (r < 0)
                        return log_error_errno(r, "Cannot start the sweep timer: %m");
                r = sd_event_source_set_enabled(c->sweep_source, SD_EVENT_ON);
                if (r < 0)
                        return log_error_errno(r, "Cannot start the sweep timer: %m");
        }
        return 0;
}

void watchdog_stop(Context *c)
{
        c->netlink_source = sd_event_source_disable_unref(c->netlink_source);
        c->sweep_source = sd_event_source_disable_unref(c->sweep_source);
        safe_close(&c->netlink_fd);
}
