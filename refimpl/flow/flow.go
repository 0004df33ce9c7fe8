// Package flow is a fixed-size flow table keyed by 5-tuple, with a per-entry
// idle timeout and least-recently-used eviction when full. Entries live in a
// preallocated array linked into an LRU list, so lookups and inserts do not
// allocate. A Table is not safe for concurrent use.
package flow

import "github.com/lbcheck/lbcheck/refimpl/packet"

// Status is the outcome of a lookup.
type Status uint8

// Lookup outcomes.
const (
	Miss    Status = iota // no entry
	Hit                   // live entry, now refreshed
	Expired               // the entry was idle longer than its timeout; it is removed
)

const none = -1

type entry[V any] struct {
	key        packet.Tuple
	val        V
	last, idle int64 // last use and idle timeout, nanoseconds
	prev, next int32 // LRU list; head is the most recent
}

// Table maps flows to values of type V.
type Table[V any] struct {
	index      map[packet.Tuple]int32
	ents       []entry[V]
	head, tail int32
	free       int32 // free list through next
	evicted    uint64
}

// New returns a table holding at most limit flows (at least 1).
func New[V any](limit int) *Table[V] {
	limit = max(limit, 1)
	t := &Table[V]{
		index: make(map[packet.Tuple]int32, limit),
		ents:  make([]entry[V], limit),
		head:  none, tail: none,
	}
	for i := range t.ents {
		t.ents[i].next = int32(i + 1)
	}
	t.ents[limit-1].next = none
	return t
}

// Len returns the number of flows in the table.
func (t *Table[V]) Len() int { return len(t.index) }

// Evicted returns how many live flows were pushed out because the table was full.
func (t *Table[V]) Evicted() uint64 { return t.evicted }

// Lookup finds k at time now (nanoseconds). On Hit the entry's idle clock is
// reset and it becomes the most recent; an entry idle for longer than its
// timeout is removed and reported as Expired.
func (t *Table[V]) Lookup(k packet.Tuple, now int64) (V, Status) {
	var zero V
	i, ok := t.index[k]
	if !ok {
		return zero, Miss
	}
	e := &t.ents[i]
	if now-e.last > e.idle {
		t.remove(i)
		return zero, Expired
	}
	e.last = now
	t.unlink(i)
	t.pushFront(i)
	return e.val, Hit
}

// Put inserts or replaces the flow k with value v and idle timeout idle
// (nanoseconds). When the table is full the least recently used flow is
// evicted; Put reports whether that happened.
func (t *Table[V]) Put(k packet.Tuple, v V, now, idle int64) (evicted bool) {
	if i, ok := t.index[k]; ok {
		e := &t.ents[i]
		e.val, e.last, e.idle = v, now, idle
		t.unlink(i)
		t.pushFront(i)
		return false
	}
	if t.free == none {
		t.remove(t.tail)
		t.evicted++
		evicted = true
	}
	i := t.free
	t.free = t.ents[i].next
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

// Expire removes flows idle for longer than their timeout, walking from the
// least recently used end and stopping after max live flows in a row, so a
// periodic call costs little. It returns how many flows it removed.
func (t *Table[V]) Expire(now int64, max int) int {
	removed, live := 0, 0
	for i := t.tail; i != none && live < max; {
		prev := t.ents[i].prev
		if now-t.ents[i].last > t.ents[i].idle {
			t.remove(i)
			removed++
		} else {
			live++
		}
		i = prev
	}
	return removed
}

func (t *Table[V]) remove(i int32) {
	delete(t.index, t.ents[i].key)
	t.unlink(i)
	var zero V
	t.ents[i].val = zero
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
