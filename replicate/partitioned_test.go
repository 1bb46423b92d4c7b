package replicate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
)

// Each node owns the rows whose region names it. A trigger that fires
// only for replicated changes logs every row a node receives, so a loop
// (a node receiving its own rows back) would show.
const partSchema = `CREATE TABLE public.orders (region text NOT NULL, id bigserial, amount int NOT NULL,
  PRIMARY KEY (region, id));
CREATE TABLE public.received (region text, op text);
CREATE FUNCTION public.log_received() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.received VALUES (coalesce(NEW.region, OLD.region), TG_OP);
  RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER log_received AFTER INSERT OR UPDATE OR DELETE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION public.log_received();
ALTER TABLE public.orders ENABLE REPLICA TRIGGER log_received;`

func TestPartitioned(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		major  int
		engine string
	}{{15, EngineNative}, {18, EngineNative}, {15, EnginePglogical}} {
		t.Run(fmt.Sprintf("pg%d_%s", c.major, c.engine), func(t *testing.T) {
			if c.engine == EnginePglogical {
				sandbox.NeedModule(t, c.major, "pglogical")
			}
			m := newMesh(t, c.major, 3, partSchema)
			// Each node already holds some of its own rows.
			for i := range m.conns {
				m.exec(i, `INSERT INTO orders (region, amount) SELECT $1, g FROM generate_series(1, 5) g`, m.names[i])
			}
			p := m.plan(TopologyPartitioned, c.engine, "public.orders")
			p.Topology.OwnerColumn = "region"
			mustBootstrap(t, p, Options{})
			t.Cleanup(func() { Teardown(t.Context(), p, Options{}) })
			m.converge(`SELECT region, id, amount FROM orders ORDER BY 1, 2`, 15)
			// Writes on every node, updates and deletes of owned rows.
			for i := range m.conns {
				m.exec(i, `INSERT INTO orders (region, amount) SELECT $1, 100 + g FROM generate_series(1, 10) g`, m.names[i])
				m.exec(i, `UPDATE orders SET amount = amount * 2 WHERE region = $1`, m.names[i])
				m.exec(i, `DELETE FROM orders WHERE region = $1 AND amount = 2`, m.names[i])
			}
			m.converge(`SELECT region, id, amount FROM orders ORDER BY 1, 2`, 3*14)
			for i := range m.conns {
				// No node ever received a row it owns: no loops.
				if own := m.rows(i, fmt.Sprintf(`SELECT count(*) FROM received WHERE region = '%s'`, m.names[i])); own[0] != "0" {
					t.Errorf("%s received %s of its own rows back", m.names[i], own[0])
				}
				// It did receive the others' inserts, updates and deletes.
				got := strings.Join(m.rows(i, `SELECT op || ' ' || count(*) FROM received GROUP BY op ORDER BY op`), ", ")
				if want := "DELETE 2, INSERT 30, UPDATE 30"; got != want {
					t.Errorf("%s received %s, want %s", m.names[i], got, want)
				}
				// And no apply errors (conflicts) anywhere.
				if c.engine == EngineNative {
					if e := m.rows(i, `SELECT coalesce(sum(apply_error_count + sync_error_count), 0)::bigint FROM pg_stat_subscription_stats WHERE subname LIKE 'aadv%'`); e[0] != "0" {
						t.Errorf("%s: %s apply errors", m.names[i], e[0])
					}
				}
			}
		})
	}
}
