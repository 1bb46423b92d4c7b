package replicate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
)

// Ways to cut a site off from its hub.
const (
	// CutLinks disables both subscriptions between the site and the hub,
	// as a WAN cut does: both keep writing, and each side's slot for the
	// other holds WAL until the links come back.
	CutLinks = "links"
	// CutStop stops the site's server (a sandbox node), as a power cut at
	// the store does; it comes back with Restore.
	CutStop = "stop"
)

// CutOffOptions tune CutOffSite.
type CutOffOptions struct {
	Mode string // CutLinks (default) or CutStop
	// Local maps node names to sandbox nodes; CutStop needs the site's.
	Local          map[string]*sandbox.Node
	ConnectTimeout time.Duration // default 10s
}

// CutOff is a site cut off from its hub on purpose (a test, a drill);
// Restore brings the links (or the server) back.
type CutOff struct {
	Site  string    `json:"site"`
	Hub   string    `json:"hub"`
	Mode  string    `json:"mode"`
	Start time.Time `json:"start"`

	plan     *Plan
	node     *sandbox.Node
	timeout  time.Duration
	restored bool
}

// CutOffSite cuts a site of a hub-and-spoke plan off from its hub: its
// links are disabled in both directions, or its server is stopped. It is
// what 'aadvisor drill' runs for disconnect-site=NAME.
func CutOffSite(ctx context.Context, p *Plan, site string, o CutOffOptions) (*CutOff, error) {
	t := p.Topology
	if t.Kind != TopologyHubSpoke {
		return nil, fmt.Errorf("cut off %s: the plan is %s, not hub-and-spoke", site, t.Kind)
	}
	if site == t.Hub {
		return nil, fmt.Errorf("cut off %s: it is the hub; name a site", site)
	}
	found := false
	for _, s := range t.Sites() {
		found = found || s.Name == site
	}
	if !found {
		return nil, fmt.Errorf("cut off %s: not a site of the plan", site)
	}
	if o.Mode == "" {
		o.Mode = CutLinks
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	c := &CutOff{Site: site, Hub: t.Hub, Mode: o.Mode, plan: p, timeout: o.ConnectTimeout}
	switch o.Mode {
	case CutLinks:
		if err := c.setLinks(ctx, false); err != nil {
			return nil, err
		}
	case CutStop:
		c.node = o.Local[site]
		if c.node == nil {
			return nil, fmt.Errorf("cut off %s: stopping a server needs a sandbox node on this machine", site)
		}
		if err := c.node.Stop(ctx, "fast"); err != nil {
			return nil, fmt.Errorf("cut off %s: %w", site, err)
		}
	default:
		return nil, fmt.Errorf("cut off %s: unknown mode %q (want %s or %s)", site, o.Mode, CutLinks, CutStop)
	}
	c.Start = time.Now()
	return c, nil
}

// Restore ends the cut: the links are enabled again, or the server is
// started. Restoring twice is harmless.
func (c *CutOff) Restore(ctx context.Context) error {
	if c.restored {
		return nil
	}
	var err error
	switch c.Mode {
	case CutLinks:
		err = c.setLinks(ctx, true)
	case CutStop:
		err = c.node.Start(ctx)
	}
	if err == nil {
		c.restored = true
	}
	return err
}

// setLinks enables or disables the hub's subscription from the site and
// the site's subscription from the hub (where it exists: no shared tables,
// no subscription).
func (c *CutOff) setLinks(ctx context.Context, enable bool) error {
	pgl := c.plan.Topology.Engine == EnginePglogical
	var errs []error
	for _, end := range [][2]string{{c.Hub, c.Site}, {c.Site, c.Hub}} {
		subscriber, provider := end[0], end[1]
		var pn PlanNode
		for _, n := range c.plan.Topology.Nodes {
			if n.Name == subscriber {
				pn = n
			}
		}
		cfg, err := meshConnConfig(c.plan, pn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg.ConnectTimeout = c.timeout
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: connect: %w", subscriber, err))
			continue
		}
		errs = append(errs, setSubscription(ctx, conn, pgl, subName(subscriber, provider), enable))
		conn.Close(context.WithoutCancel(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		verb := "cut off"
		if enable {
			verb = "restore"
		}
		return fmt.Errorf("%s %s: %w", verb, c.Site, err)
	}
	return nil
}

// setSubscription enables or disables one subscription, if it exists.
func setSubscription(ctx context.Context, conn *pgx.Conn, pgl bool, sub string, enable bool) error {
	if pgl {
		fn := "alter_subscription_disable"
		if enable {
			fn = "alter_subscription_enable"
		}
		_, err := conn.Exec(ctx, `SELECT pglogical.`+fn+`(subscription_name := s.sub_name, immediate := true)
FROM pglogical.subscription s WHERE s.sub_name = $1`, sub)
		return err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = $1
  AND subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))`, sub).Scan(&exists); err != nil || !exists {
		return err
	}
	verb := "DISABLE"
	if enable {
		verb = "ENABLE"
	}
	_, err := conn.Exec(ctx, "ALTER SUBSCRIPTION "+ident(sub)+" "+verb)
	return err
}
