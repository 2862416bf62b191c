/*
 * forkexec.c - processes: fork a child that writes into a pipe, wait for
 * it; fork a child that execs a guest program (argv[0] itself with an
 * argument) and one that runs a host shell command through system().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) {
        printf("exec'd child says hello\n");
        return 7;
    }
    int fds[2];
    if (pipe(fds)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        const char msg[] = "message through the pipe";
        write(fds[1], msg, sizeof msg);
        _exit(3);
    }
    close(fds[1]);
    char buf[64] = "";
    ssize_t n = read(fds[0], buf, sizeof buf);
    int st;
    waitpid(pid, &st, 0);
    printf("parent read %zd bytes: %s; child exit %d\n", n, buf, WEXITSTATUS(st));

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl(argv[0], argv[0], "child", (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("exec'd child exit %d\n", WEXITSTATUS(st));

    fflush(stdout);
    int rc = system("echo host shell ran; exit 5");
    printf("system() status %d\n", WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
    return 0;
}
