package codec_test

import (
	"fmt"

	"github.com/outpost-edge/outpost/tars/codec"
)

// A request body for int echoHello(string name, out string greeting): the
// parameters at their positional tags, the out-parameter included as TarsGo
// clients send it.
func ExampleWriter() {
	w := codec.NewWriter(nil)
	w.WriteString(1, "tars")
	w.WriteString(2, "")
	fmt.Printf("% X\n", w.Bytes())
	// Output: 16 04 74 61 72 73 26 00
}

// A server reads the in-parameter and ignores the out-parameter's tag.
func ExampleReader() {
	r := codec.NewReader([]byte{0x16, 0x04, 't', 'a', 'r', 's', 0x26, 0x00})
	var name string
	if err := r.ReadString(&name, 1, true); err != nil {
		fmt.Println(err)
		return
	}
	var missing int32 = 7 // optional: keeps its default when absent
	if err := r.ReadInt32(&missing, 3, false); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(name, missing)
	// Output: tars 7
}
