package replicate

import "testing"

// TestLinkStateVocabulary holds every reader of a link (mesh status,
// bootstrap's readiness, a Patroni cluster) to the one set of link states:
// each engine's own word maps onto it, and nothing outside it comes back.
func TestLinkStateVocabulary(t *testing.T) {
	vocabulary := map[string]bool{LinkStreaming: true, LinkCatchup: true, LinkInitializing: true, LinkDown: true,
		LinkDisabled: true, LinkError: true, LinkFailed: true, LinkMissing: true, LinkUnknown: true}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %q, want %q", what, got, want)
		}
		if !vocabulary[got] {
			t.Errorf("%s: %q is not a link state", what, got)
		}
	}
	for in, want := range map[string]string{"replicating": LinkStreaming, "initializing": LinkInitializing,
		"synchronizing": LinkInitializing, "disabled": LinkDisabled, "down": LinkDown, "something new": LinkUnknown} {
		check("pglogical "+in, pglogicalLinkState(in), want)
	}
	for in, want := range map[string]string{"streaming": LinkStreaming, "startup": LinkCatchup, "catchup": LinkCatchup,
		"backup": LinkCatchup, "stopping": LinkDown, "": LinkDown} {
		check("walsender "+in, walSenderLinkState(in), want)
	}
	check("receiver streaming", walReceiverLinkState(&stNode{receiver: &struct {
		host, slot, status string
		port               int32
	}{status: "streaming"}}), LinkStreaming)
	check("no receiver", walReceiverLinkState(&stNode{}), LinkDown)
	check("copying", copyingLinkState(LinkStreaming, 2), LinkCatchup)
	check("copied", copyingLinkState(LinkStreaming, 0), LinkStreaming)
	check("copying, down", copyingLinkState(LinkDown, 2), LinkDown)
	check("member on the leader's timeline", haLinkState(HAMember{State: "streaming", Timeline: 3}, 3), LinkStreaming)
	check("member on another timeline", haLinkState(HAMember{State: "running", Timeline: 2}, 3), LinkCatchup)
	check("member stopped", haLinkState(HAMember{State: "stopped", Timeline: 3}, 3), LinkDown)
}
