/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tasks. Waking queues a task once: locally on its own context's thread,
 * otherwise on the context's inbox, a Treiber stack that the owner takes whole
 * (so there is no ABA) and reverses into its run queue.
 */

#include "lcx_private.h"

enum { TASK_IDLE = 0, TASK_QUEUED = 1 };

void
lcx_task_init(struct lcx_task *task, struct lcx_context *ctx, lcx_task_fn fn, void *arg)
{
	task->fn = fn;
	task->arg = arg;
	task->ctx = ctx;
	task->next = NULL;
	__atomic_store_n(&task->state, TASK_IDLE, __ATOMIC_RELEASE);
}

void
lcx__task_push_local(struct lcx_context *ctx, struct lcx_task *task)
{
	task->next = NULL;
	if (ctx->runq_tail != NULL)
		ctx->runq_tail->next = task;
	else
		ctx->runq_head = task;
	ctx->runq_tail = task;
}

static int
task_wake(struct lcx_task *task, bool unpark)
{
	struct lcx_context *ctx = task->ctx;
	uint32_t idle = TASK_IDLE;

	if (!__atomic_compare_exchange_n(&task->state, &idle, TASK_QUEUED, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return 0;
	if (lcx__on_owner(ctx)) {
		lcx__task_push_local(ctx, task);
		return 1;
	}
	struct lcx_task *head = atomic_load_explicit(&ctx->inbox, memory_order_relaxed);

	do {
		task->next = head;
	} while (!atomic_compare_exchange_weak_explicit(&ctx->inbox, &head, task,
							memory_order_release, memory_order_relaxed));
	if (unpark)
		lcx_context_unpark(ctx);
	else
		lcx__context_remote_event(ctx);
	return 1;
}

int
lcx_task_wake(struct lcx_task *task)
{
	return task_wake(task, false);
}

int
lcx_task_wake_unpark(struct lcx_task *task)
{
	return task_wake(task, true);
}

bool
lcx_task_is_queued(const struct lcx_task *task)
{
	return __atomic_load_n(&task->state, __ATOMIC_ACQUIRE) == TASK_QUEUED;
}

/* Move the inbox into the run queue, oldest first. Owner only. */
void
lcx__task_drain_inbox(struct lcx_context *ctx)
{
	struct lcx_task *t = atomic_exchange_explicit(&ctx->inbox, NULL, memory_order_acquire);
	struct lcx_task *rev = NULL;

	while (t != NULL) {
		struct lcx_task *next = t->next;

		t->next = rev;
		rev = t;
		t = next;
	}
	while (rev != NULL) {
		struct lcx_task *next = rev->next;

		lcx__task_push_local(ctx, rev);
		rev = next;
	}
}

/*
 * Take a task off the run queue so that its memory may be freed. Owner only (or
 * while no loop runs). The inbox is moved into the run queue first, so a task
 * woken from another thread is found too, provided no other thread wakes it
 * again. After lcx_context_stop() the queues were dropped: the task is only
 * marked idle. O(queued tasks); for tear-down, not for the fast path.
 */
bool
lcx__task_cancel(struct lcx_task *task)
{
	struct lcx_context *ctx = task->ctx;
	struct lcx_task *prev = NULL;

	if (!lcx_task_is_queued(task))
		return false;
	if (atomic_load_explicit(&ctx->inbox, memory_order_relaxed) != NULL)
		lcx__task_drain_inbox(ctx);
	for (struct lcx_task *t = ctx->runq_head; t != NULL; prev = t, t = t->next) {
		if (t != task)
			continue;
		if (prev != NULL)
			prev->next = t->next;
		else
			ctx->runq_head = t->next;
		if (ctx->runq_tail == t)
			ctx->runq_tail = prev;
		break;
	}
	task->next = NULL;
	__atomic_store_n(&task->state, TASK_IDLE, __ATOMIC_RELEASE);
	return true;
}

/* Run up to LCX_TASKS_PER_ITER queued tasks. Owner only. */
unsigned int
lcx__tasks_run(struct lcx_context *ctx)
{
	unsigned int n = 0;

	if (atomic_load_explicit(&ctx->inbox, memory_order_relaxed) != NULL)
		lcx__task_drain_inbox(ctx);
	while (n < LCX_TASKS_PER_ITER && ctx->runq_head != NULL) {
		struct lcx_task *t = ctx->runq_head;

		ctx->runq_head = t->next;
		if (ctx->runq_head == NULL)
			ctx->runq_tail = NULL;
		t->next = NULL;
		__atomic_store_n(&t->state, TASK_IDLE, __ATOMIC_RELEASE);
		t->fn(t, t->arg);
		n++;
	}
	return n;
}
