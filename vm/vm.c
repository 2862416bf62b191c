/*
 * vm.c - creation and destruction of a vm.
 */
#include "vm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int vm_mem_init(struct vm_mem *m, unsigned bits, char *err, size_t errlen);
void vm_mem_fini(struct vm_mem *m);
void vm_isa_init(void);
void jit_configure(struct vm *vm);

int vm_create(const struct vm_config *cfg, struct vm **out, char *err, size_t errlen)
{
    char dummy[1];
    if (!errlen) err = dummy, errlen = sizeof dummy;
    *out = NULL;
    struct vm_config c = cfg ? *cfg : (struct vm_config){ 0 };
    if (!c.addr_bits) c.addr_bits = 38;
    if (!c.max_block_insns) c.max_block_insns = 256;
    if (c.addr_bits < 16 || c.addr_bits > 47) {
        snprintf(err, errlen, "guest address space of 2^%u bytes is not supported (16..47)",
                 c.addr_bits);
        return -EINVAL;
    }
    if (c.max_block_insns > 256) c.max_block_insns = 256;
    struct vm *vm = calloc(1, sizeof *vm);
    if (!vm) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    vm->cfg = c;
    jit_configure(vm); /* engine selection (vm/riscv/jit/jit.c) */
    int r = vm_mem_init(&vm->mem, c.addr_bits, err, errlen);
    if (r) {
        free(vm);
        return r;
    }
    vm_isa_init();
    *out = vm;
    return 0;
}

void vm_destroy(struct vm *vm)
{
    if (!vm) return;
    while (vm->n_cpus) vm_cpu_destroy(vm->cpus[vm->n_cpus - 1]);
    free(vm->cpus);
    vm_tb_fini(vm);
    vm_mem_fini(&vm->mem);
    free(vm);
}
