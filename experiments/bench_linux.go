package experiments

import (
	"os/exec"
	"runtime"
	"syscall"
)

// runWithParent runs command and returns its standard output. The child
// is killed if mma exits first, so an interrupted bench leaves no PyTorch
// process running. Linux sends that signal when the thread that started
// the child exits, so the thread stays locked until the child is done.
func runWithParent(command *exec.Cmd) ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	command.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return command.Output()
}
