package drill

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
)

// breaker is an injected fault and how to undo it.
type breaker struct {
	fault  Fault
	ha     bool
	sb     *sandbox.Sandbox
	nodes  []*sandbox.Node
	names  []string
	undone bool
	cut    *replicate.CutOff // disconnect-site
}

// targets are the nodes a fault hits, given the current primary.
func faultTargets(p *replicate.Plan, f Fault, primary string) ([]string, error) {
	switch f.Kind {
	case KillNode:
		return []string{f.Target}, nil
	case KillRegion:
		return regionNodes(p, f.Target), nil
	case DisconnectSite:
		return []string{f.Target}, nil
	}
	if primary == "" {
		return nil, errNoPrimary
	}
	return []string{primary}, nil
}

// inject breaks the nodes.
func inject(ctx context.Context, p *replicate.Plan, o Options, names []string) (*breaker, error) {
	b := &breaker{fault: o.Fault, ha: p.Topology.HA != nil, sb: o.Sandbox, names: names}
	if o.Fault.Kind == DisconnectSite {
		// No signal: the links between the site and its hub go.
		cut, err := replicate.CutOffSite(ctx, p, o.Fault.Target, replicate.CutOffOptions{Mode: replicate.CutLinks})
		b.cut = cut
		return b, err
	}
	for _, name := range names {
		n := o.Local[name]
		if n == nil {
			return nil, fmt.Errorf("node %s is not a sandbox node here", name)
		}
		b.nodes = append(b.nodes, n)
	}
	var errs []error
	for _, n := range b.nodes {
		var err error
		switch o.Fault.Kind {
		case KillPrimary:
			if b.ha {
				// Patroni stays and decides; the sandbox's Kill would
				// wait for the server Patroni restarts.
				err = signalPostmaster(n, syscall.SIGKILL)
			} else {
				err = n.Kill()
			}
		case StopPrimary:
			if b.ha {
				err = n.StopPatroni(ctx)
			} else {
				err = n.Stop(ctx, "fast")
			}
		case FreezePrimary:
			err = n.Freeze()
		case KillNode, KillRegion:
			err = n.KillNode()
		}
		errs = append(errs, err)
	}
	return b, errors.Join(errs...)
}

func signalPostmaster(n *sandbox.Node, sig syscall.Signal) error {
	pid := n.PID()
	if pid == 0 {
		return fmt.Errorf("node %s: not running", n.Name)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("node %s: kill %d: %w", n.Name, pid, err)
	}
	return nil
}

// needsUndo reports whether an operator must act for the node to come
// back: under Patroni a crashed postmaster is Patroni's to restart.
func (b *breaker) needsUndo() bool { return !(b.ha && b.fault.Kind == KillPrimary) }

// undo brings the broken nodes back as an operator (or a service manager)
// would: start the server or its Patroni again, resume a frozen server.
func (b *breaker) undo(ctx context.Context) error {
	if b.undone {
		return nil
	}
	b.undone = true
	if b.cut != nil {
		return b.cut.Restore(ctx)
	}
	var errs []error
	for _, n := range b.nodes {
		var err error
		switch {
		case b.fault.Kind == FreezePrimary:
			err = n.Thaw()
		case b.fault.Kind == KillPrimary && b.ha:
		case b.ha:
			err = b.sb.RestartPatroni(ctx, n)
		default:
			err = n.Start(ctx)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// undoQuietly undoes the fault when a run ends early, so that a failed
// drill does not leave a node frozen or down.
func (b *breaker) undoQuietly(ctx context.Context) {
	if b != nil && !b.undone {
		b.undo(context.WithoutCancel(ctx))
	}
}
