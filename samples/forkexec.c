/*
 * forkexec.c - processes: fork a child that writes into a pipe, wait for
 * it; fork a child that execs a guest program (argv[0] itself with an
 * argument) and one that runs a host shell command through system().
 * After the first fork both processes run hot loops of their own (code a
 * JIT compiles in each process after the fork) and the parent checks the
 * child's result: exit 2 if they disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long mix(unsigned long x, int rounds)
{
    for (int i = 0; i < rounds; i++) x = (x ^ (x >> 7)) * 0x9e3779b97f4a7c15ul + (unsigned long)i;
    return x;
}

static unsigned long sum_squares(int n)
{
    unsigned long s = 0;
    for (int i = 0; i < n; i++) s += (unsigned long)i * (unsigned long)i % 1000003u;
    return s;
}

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
        unsigned long v = mix(12345, 300000);
        write(fds[1], &v, sizeof v);
        _exit(3);
    }
    close(fds[1]);
    unsigned long mine = sum_squares(300000);
    char buf[25] = "";
    unsigned long theirs = 0;
    ssize_t n = read(fds[0], buf, sizeof buf);
    ssize_t m = read(fds[0], &theirs, sizeof theirs);
    int st;
    waitpid(pid, &st, 0);
    printf("parent read %zd bytes: %s; child exit %d\n", n, buf, WEXITSTATUS(st));
    if (m != (ssize_t)sizeof theirs || theirs != mix(12345, 300000) || mine != sum_squares(300000)) {
        printf("parent and child computed differently\n");
        return 2;
    }

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
