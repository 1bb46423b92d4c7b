package replicate

import "fmt"

// offsetStart returns the first value above floor that is congruent to
// index modulo n (index is 1-based, so node n takes the multiples of n).
func offsetStart(floor int64, index, n int) int64 {
	v := floor + 1
	r := ((int64(index)-v)%int64(n) + int64(n)) % int64(n)
	return v + r
}

// sequenceSteps give each node's key sequences a step of N and a start
// congruent to the node's position, above every value any node has used,
// so that no two nodes ever hand out the same value.
func (b *bootstrapper) sequenceSteps() []Step {
	if b.sequenceStrategy() != SequencesOffsets {
		return nil
	}
	n := len(b.nodes)
	// The floor of each sequence: the highest value used on any node.
	floor := map[string]int64{}
	for _, nc := range b.nodes {
		for _, s := range nc.facts.Sequences {
			floor[s.key()] = max(floor[s.key()], s.Last, s.ColumnMax)
		}
	}
	var steps []Step
	for _, nc := range b.nodes {
		for _, s := range nc.facts.Sequences {
			start := offsetStart(floor[s.key()], nc.index, n)
			steps = append(steps, Step{
				Node:   nc.Name,
				Action: fmt.Sprintf("sequence %s: step %d, values congruent to %d mod %d", s.key(), n, nc.index%n, n),
				SQL:    fmt.Sprintf("ALTER SEQUENCE %s INCREMENT BY %d RESTART WITH %d", qualified(s.Schema, s.Name), n, start),
				// Already done when the step is N and the next value is
				// in this node's class.
				exists: fmt.Sprintf(`SELECT s.increment_by = %d AND (SELECT last_value FROM %s) %% %d = %d
FROM pg_catalog.pg_sequences s WHERE s.schemaname = $1 AND s.sequencename = $2`, n, qualified(s.Schema, s.Name), n, nc.index%n),
				existsArgs: []any{s.Schema, s.Name},
			})
		}
	}
	return steps
}
