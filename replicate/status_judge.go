package replicate

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

// linkState judges a logical link from its subscription, the slot on its
// publisher and the last read: errors count only while the publisher
// stayed up, and pglogical's "down" is an error only when it lasts.
func (c *Collector) linkState(sub stSub, slot *stSlot, pubUp, pubKnown bool, pub string) string {
	var prevErrors *int64
	var prevState string
	pubWasUp, first := false, true
	c.mu.Lock()
	if c.prev != nil {
		first = false
		for _, l := range c.prev.Links {
			if l.Subscription == sub.name {
				prevErrors = l.ApplyErrors
				prevState = l.State
			}
		}
		for _, n := range c.prev.Nodes {
			if n.Name == pub {
				pubWasUp = n.Up
			}
		}
	}
	c.mu.Unlock()
	// Errors while the publisher was down or coming back are connection
	// failures; only errors against a publisher that stayed up count.
	newErrors := sub.applyErrors != nil && prevErrors != nil && *sub.applyErrors > *prevErrors && pubUp && pubWasUp
	if sub.pglStatus != "" {
		switch state := pglogicalLinkState(sub.pglStatus); {
		case state == LinkStreaming && slot != nil && !slot.active:
			return LinkDown
		case state == LinkDown && pubUp && pubWasUp && (prevState == LinkDown || prevState == LinkError):
			// pglogical restarts a failed apply worker by itself: "down"
			// is an error only when it lasts while the publisher is up.
			return LinkError
		default:
			return state
		}
	}
	behind := slot != nil && slot.lag != nil && *slot.lag > 0
	switch {
	case !sub.enabled && sub.applyErrors != nil && *sub.applyErrors > 0:
		return LinkFailed
	case !sub.enabled:
		return LinkDisabled
	case newErrors && (sub.pid == nil || behind):
		return LinkError
	case first && sub.pid == nil && sub.applyErrors != nil && *sub.applyErrors > 0 && pubUp && behind:
		// First look: no worker, behind, and it failed before: it is most
		// likely between retries of a failing apply.
		return LinkError
	case sub.pid == nil || !pubUp || (slot != nil && !slot.active):
		return LinkDown
	case sub.syncWorkers > 0:
		return LinkCatchup
	}
	return LinkStreaming
}

// alarms lists what needs a human in a snapshot.
func (c *Collector) alarms(st *Status) []Alarm {
	out := []Alarm{}
	for _, n := range st.Nodes {
		if !n.Up {
			out = append(out, Alarm{Kind: AlarmNodeDown, Node: n.Name, Message: fmt.Sprintf("node %s is unreachable: %s", n.Name, n.Error)})
			continue
		}
		for _, s := range n.Slots {
			switch {
			case s.WALStatus == "lost":
				out = append(out, Alarm{Kind: AlarmSlotLost, Node: n.Name, Message: fmt.Sprintf("slot %s on %s lost WAL it needed: its subscriber must be rebuilt", s.Name, n.Name)})
			case s.WALStatus == "unreserved" || (s.SafeWALBytes != nil && n.MaxSlotWALKeepBytes > 0 &&
				float64(*s.SafeWALBytes) < c.opts.SlotAlarmFraction*float64(n.MaxSlotWALKeepBytes)):
				safe := int64(0)
				if s.SafeWALBytes != nil {
					safe = *s.SafeWALBytes
				}
				out = append(out, Alarm{Kind: AlarmSlotWALLimit, Node: n.Name, Message: fmt.Sprintf(
					"slot %s on %s retains %s of WAL; %s more and it passes max_slot_wal_keep_size (%s) and is lost",
					s.Name, n.Name, inspect.FormatBytesShort(s.RetainedBytes), inspect.FormatBytesShort(max(safe, 0)), walKeepText(n.MaxSlotWALKeepBytes))})
			case n.MaxSlotWALKeepBytes < 0 && n.DiskFreeBytes != nil && !s.Active &&
				float64(s.RetainedBytes) > c.opts.SlotAlarmFraction*float64(*n.DiskFreeBytes):
				out = append(out, Alarm{Kind: AlarmSlotWALLimit, Node: n.Name, Message: fmt.Sprintf(
					"slot %s on %s retains %s of WAL with no max_slot_wal_keep_size and %s free on disk",
					s.Name, n.Name, inspect.FormatBytesShort(s.RetainedBytes), inspect.FormatBytesShort(*n.DiskFreeBytes))})
			}
		}
	}
	for _, l := range st.Links {
		if l.State == LinkError || l.State == LinkFailed {
			msg := fmt.Sprintf("link %s -> %s (%s) is %s", l.From, l.To, l.Subscription, l.State)
			if l.ApplyErrors != nil {
				msg += fmt.Sprintf(" after %d apply error(s)", *l.ApplyErrors)
			}
			if len(l.ConflictsByType) > 0 {
				msg += "; conflicts: " + FormatConflicts(l.ConflictsByType)
			}
			msg += "; see the subscriber's server log"
			out = append(out, Alarm{Kind: AlarmLinkBroken, Node: l.To, Link: l.Subscription, Message: msg})
		}
	}
	return out
}

// pglogicalLinkState is a pglogical subscription's state in the link
// vocabulary, from pglogical.show_subscription_status().
func pglogicalLinkState(status string) string {
	switch status {
	case "replicating":
		return LinkStreaming
	case "initializing", "synchronizing":
		return LinkInitializing
	case "disabled":
		return LinkDisabled
	case "down":
		return LinkDown
	}
	return LinkUnknown
}

// walSenderLinkState is a physical link's state from the primary's side:
// the state of the standby's walsender in pg_stat_replication, "" when it
// has none.
func walSenderLinkState(state string) string {
	switch state {
	case "streaming":
		return LinkStreaming
	case "startup", "catchup", "backup":
		return LinkCatchup
	}
	return LinkDown
}

// walReceiverLinkState is a physical link's state from the standby's
// side: its WAL receiver streams, or the link is down.
func walReceiverLinkState(n *stNode) string {
	if n.err != nil || n.receiver == nil || n.receiver.status != "streaming" {
		return LinkDown
	}
	return LinkStreaming
}

// copyingLinkState is a link whose worker runs while tables are still
// copied: it is catching up.
func copyingLinkState(state string, copying int) string {
	if state == LinkStreaming && copying > 0 {
		return LinkCatchup
	}
	return state
}

// haLinkState is the link from the leader to a member of a Patroni
// cluster: streaming once Patroni runs the member on the leader's
// timeline, catching up while it runs on another.
func haLinkState(m HAMember, timeline int) string {
	switch {
	case m.Running() && m.Timeline == timeline:
		return LinkStreaming
	case m.Running():
		return LinkCatchup
	}
	return LinkDown
}
