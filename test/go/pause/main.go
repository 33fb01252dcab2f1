// The sandbox's PID 1 for the harness's real-pod cluster (test/harness/pods/): holds the pod's namespaces
// open, reaps the orphans a shared PID namespace hands it, and exits on SIGTERM/SIGINT, as the
// Kubernetes pause container does (kubernetes/build/pause/linux/pause.c). No registry, so it is built here.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
