// Package flow is a fixed-size flow table keyed by 5-tuple, with a per-entry
// idle timeout and least-recently-used eviction when full. Entries live in
// an array reserved up front and linked into an LRU list, so lookups and
// inserts do not allocate (but for the index growing while the table first
// fills past indexHint). New touches none of that memory: a table costs
// what its flows use, and a role starts fast. A Table is not safe for
// concurrent use.
//
// A flow idle for longer than its timeout is expired, not forgotten: Expire
// marks it and keeps it for one more idle timeout, so later packets of the
// flow are told apart from packets of a flow never seen (Lookup reports
// Expired for both an expired flow and one past its timeout that Expire
// has not reached yet). Expired flows are the first to go when the table
// is full.
package flow

import "github.com/lbcheck/lbcheck/refimpl/packet"

// Status is the outcome of a lookup.
type Status uint8

// Lookup outcomes.
const (
	Miss    Status = iota // no entry
	Hit                   // live entry, now refreshed
	Expired               // the flow was idle longer than its timeout
)

const none = -1

type entry[V any] struct {
	key        packet.Tuple
	val        V
	last, idle int64 // last use and idle timeout, nanoseconds
	prev, next int32 // LRU list; head is the most recent
	dead       bool  // expired by Expire; kept for one more idle timeout
}

// Table maps flows to values of type V.
type Table[V any] struct {
	index      map[packet.Tuple]int32
	ents       []entry[V] // reserved to the limit; [used:] never handed out yet
	used       int32
	head, tail int32
	free       int32 // entries removed since, a list through next
	dead       int   // entries marked dead
	evicted    uint64
}

// indexHint is how many flows the index holds before it first grows.
const indexHint = 4096

// New returns a table holding at most limit flows (at least 1).
func New[V any](limit int) *Table[V] {
	limit = max(limit, 1)
	return &Table[V]{
		index: make(map[packet.Tuple]int32, min(limit, indexHint)),
		ents:  make([]entry[V], limit),
		head:  none, tail: none, free: none,
	}
}

// Len returns the number of live (not expired) flows in the table.
func (t *Table[V]) Len() int { return len(t.index) - t.dead }

// Evicted returns how many live flows were pushed out because the table was full.
func (t *Table[V]) Evicted() uint64 { return t.evicted }

// Lookup finds k at time now (nanoseconds). On Hit the entry's idle clock is
// reset, it becomes the most recent, and Lookup returns a pointer to its
// value, valid until the next call that changes the table. A flow idle for
// longer than its timeout is Expired (nil value) until Put replaces it.
func (t *Table[V]) Lookup(k packet.Tuple, now int64) (*V, Status) {
	i, ok := t.index[k]
	if !ok {
		return nil, Miss
	}
	e := &t.ents[i]
	if e.dead || now-e.last > e.idle {
		return nil, Expired
	}
	e.last = now
	t.unlink(i)
	t.pushFront(i)
	return &e.val, Hit
}

// Put inserts or replaces (also an expired one) the flow k with value v and
// idle timeout idle (nanoseconds). When the table is full the least
// recently used entry is dropped; Put reports whether that was a live flow
// (an eviction) rather than an expired one.
func (t *Table[V]) Put(k packet.Tuple, v V, now, idle int64) (evicted bool) {
	if i, ok := t.index[k]; ok {
		e := &t.ents[i]
		if e.dead {
			e.dead = false
			t.dead--
		}
		e.val, e.last, e.idle = v, now, idle
		t.unlink(i)
		t.pushFront(i)
		return false
	}
	if t.free == none && int(t.used) == len(t.ents) {
		evicted = !t.ents[t.tail].dead
		if evicted {
			t.evicted++
		}
		t.remove(t.tail)
	}
	i := t.free
	if i == none {
		i = t.used
		t.used++
	} else {
		t.free = t.ents[i].next
	}
	t.ents[i] = entry[V]{key: k, val: v, last: now, idle: idle}
	t.index[k] = i
	t.pushFront(i)
	return evicted
}

// Delete removes the flow k if present.
func (t *Table[V]) Delete(k packet.Tuple) {
	if i, ok := t.index[k]; ok {
		t.remove(i)
	}
}

// Expire marks flows idle for longer than their timeout as expired, calling
// f (when not nil) once for each with its key and value, and removes the
// flows expired for one more idle timeout. It walks from the least recently
// used end and stops after max entries in a row it left alone, so a
// periodic call costs little. It returns how many flows it expired.
func (t *Table[V]) Expire(now int64, max int, f func(k packet.Tuple, v *V)) int {
	expired, kept := 0, 0
	for i := t.tail; i != none && kept < max; {
		e := &t.ents[i]
		prev := e.prev
		switch idle := now - e.last; {
		case e.dead && idle > 2*e.idle:
			t.remove(i)
		case !e.dead && idle > e.idle:
			e.dead = true
			t.dead++
			expired++
			if f != nil {
				f(e.key, &e.val)
			}
		default:
			kept++
		}
		i = prev
	}
	return expired
}

func (t *Table[V]) remove(i int32) {
	if t.ents[i].dead {
		t.dead--
	}
	delete(t.index, t.ents[i].key)
	t.unlink(i)
	var zero V
	t.ents[i].val, t.ents[i].dead = zero, false
	t.ents[i].next = t.free
	t.free = i
}

func (t *Table[V]) unlink(i int32) {
	e := &t.ents[i]
	if e.prev != none {
		t.ents[e.prev].next = e.next
	} else {
		t.head = e.next
	}
	if e.next != none {
		t.ents[e.next].prev = e.prev
	} else {
		t.tail = e.prev
	}
	e.prev, e.next = none, none
}

func (t *Table[V]) pushFront(i int32) {
	e := &t.ents[i]
	e.prev, e.next = none, t.head
	if t.head != none {
		t.ents[t.head].prev = i
	}
	t.head = i
	if t.tail == none {
		t.tail = i
	}
}
