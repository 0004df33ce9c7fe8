package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/netio"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// readUDP reads datagrams from r (reading c) until ctx is done and hands
// each to handle with its sender; flush, if set, is called after each
// batch. name says which socket in errors. When ctx is done, the read under
// way ends at once (its deadline is set to now).
func readUDP(ctx context.Context, c *net.UDPConn, r *netio.UDPReader, name string, handle func(b []byte, from netip.AddrPort), flush func()) error {
	defer context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Now()) })()
	for ctx.Err() == nil {
		n, err := r.Read()
		if isTimeout(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s socket: %w", name, err)
		}
		for i := range n {
			handle(r.Datagram(i))
		}
		if flush != nil {
			flush()
		}
	}
	return nil
}

// batchSize is how many packets one read (recvmmsg) or one UDP send
// (sendmmsg) of a forwarding path moves at most.
const batchSize = 32

// newBatch returns the buffers of one packetLoop (made when a role is
// created, so its memory use does not grow once it runs).
func newBatch() *netio.Batch { return netio.NewBatch(batchSize, netio.HeaderRoom+65536) }

// packetLoop reads IP packets from an interface for a forwarding role.
type packetLoop struct {
	conn  *netio.PacketConn
	batch *netio.Batch // newBatch()
	ctr   *stats.Counters
	rx    stats.Reason // counted for every packet read
	// room is how many free bytes handle finds in front of each packet.
	room int
	// expire is called with the current time, at most every expireEvery
	// (sweepEvery of the rule set).
	expire      func(now int64)
	expireEvery time.Duration
	// handle takes one packet, room bytes into frame, and the current time
	// in nanoseconds since start; frame is only valid until it returns.
	handle func(frame []byte, now int64)
	// flush, if set, is called after the packets of one read were handled.
	flush func()
}

// run reads packets in batches until ctx is done (which interrupts the read
// under way: netio.PacketConn.Interrupt). An offload super-packet
// is segmented (one that does not parse counts stats.Malformed), other
// offload types count stats.Offload, and a packet whose checksum the kernel
// left to the device has it completed before handle sees it.
func (l packetLoop) run(ctx context.Context, start time.Time) error {
	batch := l.batch
	segs := make([]byte, l.room+65536) // segments of offload super-packets
	var now, lastExpire int64
	emit := func(seg []byte) { l.handle(segs[:l.room+len(seg)], now) }
	defer context.AfterFunc(ctx, l.conn.Interrupt)()
	for ctx.Err() == nil {
		n, err := l.conn.ReadBatch(batch)
		now = int64(time.Since(start))
		if now-lastExpire > int64(l.expireEvery) {
			lastExpire = now
			l.expire(now)
		}
		if errors.Is(err, netio.ErrTimeout) || errors.Is(err, netio.ErrInterrupted) {
			continue
		}
		if err != nil {
			return err
		}
		for i := range n {
			pkt, meta, err := batch.Packet(i)
			if err != nil {
				return err
			}
			l.ctr.Inc(l.rx)
			switch {
			case meta.GSOSize > 0:
				if err := packet.Segment(pkt, meta.GSOSize, l.room, segs, emit); err != nil {
					l.ctr.Inc(stats.Malformed)
				}
			case meta.GSOOther:
				l.ctr.Inc(stats.Offload)
			default:
				if meta.NeedsChecksum {
					packet.CompleteChecksum(pkt)
				}
				l.handle(batch.Buf(i)[netio.HeaderRoom-l.room:netio.HeaderRoom+len(pkt)], now)
			}
		}
		if l.flush != nil {
			l.flush()
		}
	}
	return nil
}
