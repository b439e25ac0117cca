package controller

import (
	"context"
	"fmt"
)

// Gate bounds the Ansible runs in progress across every watched kind: each
// run takes about 60 to 100 MB, and the per-kind worker counts add up.
type Gate struct{ slots chan struct{} }

// NewGate returns a Gate for n runs at once (at least one).
func NewGate(n int) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1))}
}

// Acquire waits for a free slot and returns the function that frees it.
func (g *Gate) Acquire(ctx context.Context) (func(), error) {
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free run slot: %w", ctx.Err())
	}
}

// Size is how many runs the Gate lets through at once.
func (g *Gate) Size() int { return cap(g.slots) }
