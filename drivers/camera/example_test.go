package camera_test

import (
	"context"
	"fmt"
	"os"

	"cunyou/drivers/camera"
)

// A snapshot from a network camera (here the simulator, which asks for a
// Digest login), kept in a store.
func Example() {
	sim, err := camera.NewSimulator(camera.SimOptions{User: "admin", Password: "12345"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	cam, err := camera.NewHTTP(camera.HTTPOptions{URL: sim.URL(), User: "admin", Password: "12345"})
	if err != nil {
		fmt.Println(err)
		return
	}
	snap, err := cam.Snapshot(context.Background())
	if err != nil {
		fmt.Println(camera.CodeOf(err), camera.MessageOf(err).ZH)
		return
	}
	dir, _ := os.MkdirTemp("", "photos-")
	defer os.RemoveAll(dir)
	st, err := camera.NewStore(dir).Put(snap.Data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Format, st.Width, st.Height, len(st.SHA256))

	sim.SetFault(camera.FaultHTML)
	_, err = cam.Snapshot(context.Background())
	fmt.Println(camera.CodeOf(err), camera.MessageOf(err).ZH)
	// Output:
	// jpeg 640 480 64
	// camera.not_jpeg 摄像头返回的不是照片，请检查设置中的抓图地址。
}
