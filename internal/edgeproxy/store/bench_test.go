package store

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// A view of 5,000 pods of realistic size (~2.5 KiB of JSON each, as the
// integration benchmark's pods), read whole the way the offline list
// reads it: copied out (ReadView) or framed in place (ScanView). The
// quick loop for the offline list; the end-to-end figure is
// test/integration/edgeproxy BenchmarkOfflineList.
func benchView(b *testing.B) (*Store, ViewMeta) {
	s := open(b, "", Options{})
	pad := bytes.Repeat([]byte("x"), 2300)
	items := make([]Item, 5000)
	for i := range items {
		name := fmt.Sprintf("pod-%05d", i)
		items[i] = Item{Key: "ns/" + name, RV: uint64(i + 1), Enc: wire.JSON,
			Raw: fmt.Appendf(nil, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":%q,"namespace":"ns","resourceVersion":"%d"},"spec":{"x":%q}}`, name, i+1, pad)}
	}
	sn := s.Snapshot(viewA)
	sn.Add(items)
	wait(b, sn.Commit(podList, pod, 5001))
	m, _, err := s.View(viewA)
	if err != nil {
		b.Fatal(err)
	}
	return s, m
}

func BenchmarkReadView5000(b *testing.B) {
	s, m := benchView(b)
	buf := make([]byte, 0, 1200<<10)
	b.ReportAllocs()
	for b.Loop() {
		out, after := buf[:0], ""
		for {
			items, more, err := s.ReadView(viewA, m.Gen, after, 256, 1<<20)
			if err != nil {
				b.Fatal(err)
			}
			for _, it := range items {
				out = wire.AppendJSONListItem(out, after == "", it.Raw)
				after = it.Key
			}
			out = out[:0]
			if !more {
				break
			}
		}
	}
}

func BenchmarkScanView5000(b *testing.B) {
	s, m := benchView(b)
	buf := make([]byte, 0, 600<<10)
	b.ReportAllocs()
	for b.Loop() {
		after, first := "", true
		for {
			last, more, err := s.ScanView(viewA, m.Gen, after, 1024, 512<<10, func(_ []byte, _ wire.Encoding, _ uint64, raw []byte) error {
				buf, first = wire.AppendJSONListItem(buf, first, raw), false
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			buf, after = buf[:0], last
			if !more {
				break
			}
		}
	}
}
