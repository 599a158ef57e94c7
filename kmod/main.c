// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch.ko: the misc device /dev/racewatch. One session per open file:
 * its watches, its record ring, its counters. The ioctl switch only
 * dispatches; each handler copies in, validates, locks, acts, unlocks and
 * copies out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/hw_breakpoint.h>

#include "racewatch.h"

static unsigned int ring_records = 4096;
module_param(ring_records, uint, 0444);
MODULE_PARM_DESC(ring_records, "Record ring capacity per open file (default 4096)");

static unsigned int max_watches = 32;
module_param(max_watches, uint, 0444);
MODULE_PARM_DESC(max_watches, "Most watches one open file may hold (default 32)");

#define RW_FEATURES	(RACEWATCH_FEAT_RW_CLASSIFY | RACEWATCH_FEAT_USER_STACK | \
			 RACEWATCH_FEAT_FOLLOW_THREADS | RACEWATCH_FEAT_REGS | \
			 RACEWATCH_FEAT_WATCH_EXE)

static bool rw_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

static void rw_wake(struct irq_work *work)
{
	struct rw_session *s = container_of(work, struct rw_session, wake);

	wake_up_interruptible_poll(&s->wq, EPOLLIN | EPOLLRDNORM);
}

static int rw_open(struct inode *inode, struct file *file)
{
	struct rw_session *s;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	err = rw_ring_init(&s->ring, ring_records);
	if (err) {
		kfree(s);
		return err;
	}
	mutex_init(&s->lock);
	xa_init_flags(&s->watches, XA_FLAGS_ALLOC1);
	atomic64_set(&s->arm_failures, 0);
	init_waitqueue_head(&s->wq);
	init_irq_work(&s->wake, rw_wake);
	file->private_data = s;
	return 0;
}

static int rw_release(struct inode *inode, struct file *file)
{
	struct rw_session *s = file->private_data;

	rw_file_release(s);
	rw_watches_disarm_all(&s->watches);
	xa_destroy(&s->watches);
	irq_work_sync(&s->wake);
	rw_ring_free(&s->ring);
	mutex_destroy(&s->lock);
	kfree(s);
	return 0;
}

static ssize_t rw_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct rw_session *s = file->private_data;
	u64 rec[RW_REC_MAX / sizeof(u64)];
	size_t done = 0;
	int n;

	if (len < RW_REC_MAX)
		return -EINVAL;
	while (done < len) {
		n = rw_ring_pop(&s->ring, rec, len - done);
		if (n > 0) {
			if (copy_to_user(buf + done, rec, n))
				return done ? done : -EFAULT;
			done += n;
			continue;
		}
		if (done || n < 0)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(s->wq, !rw_ring_empty(&s->ring)))
			return -ERESTARTSYS;
	}
	return done;
}

static __poll_t rw_poll(struct file *file, poll_table *wait)
{
	struct rw_session *s = file->private_data;

	poll_wait(file, &s->wq, wait);
	return rw_ring_empty(&s->ring) ? 0 : EPOLLIN | EPOLLRDNORM;
}

static int rw_get_info(struct rw_session *s, void __user *uarg)
{
	struct racewatch_info info;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.size != sizeof(info))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.api_version = RACEWATCH_API_VERSION;
	info.features = RW_FEATURES;
	info.slots = HBP_NUM;
	info.max_watches = max_watches;
	info.ring_records = s->ring.nr;
	info.max_stack = RACEWATCH_MAX_STACK;

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* Everything about a WATCH request that can be judged without the target. */
static int rw_watch_validate(const struct racewatch_watch *req)
{
	if (req->size != sizeof(*req) || !rw_zero(req->reserved, sizeof(req->reserved)))
		return -EINVAL;
	if (req->flags & ~RACEWATCH_WATCH_FLAGS_ALL)
		return -EINVAL;
	if (req->kind != RACEWATCH_KIND_WRITE && req->kind != RACEWATCH_KIND_RW)
		return -EINVAL;
	if (req->len != 1 && req->len != 2 && req->len != 4 && req->len != 8)
		return -EINVAL;
	if (req->addr & (req->len - 1))
		return -EINVAL;
	if (req->addr >= TASK_SIZE_MAX || TASK_SIZE_MAX - req->addr < req->len)
		return -EFAULT;
	return 0;
}

static int rw_watch(struct rw_session *s, void __user *uarg)
{
	struct racewatch_watch req;
	struct rw_watch *w;
	u32 id;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	err = rw_watch_validate(&req);
	if (err)
		return err;

	mutex_lock(&s->lock);
	if (s->nr_watches >= max_watches) {
		err = -EMFILE;
		goto out_unlock;
	}
	/* Reserve the id first: handlers run as soon as a thread is armed. */
	err = xa_alloc_cyclic(&s->watches, &id, NULL, XA_LIMIT(1, INT_MAX), &s->next_id,
			      GFP_KERNEL);
	if (err < 0)
		goto out_unlock;
	err = rw_watch_arm(s, &req, id, &w);
	if (err)
		goto out_release_id;
	xa_store(&s->watches, id, w, GFP_KERNEL);
	s->nr_watches++;
	req.id = id;
	req.threads = w->nr_threads;
	/* A caller that cannot learn the id gets no watch either. */
	if (copy_to_user(uarg, &req, sizeof(req))) {
		err = -EFAULT;
		xa_erase(&s->watches, id);
		s->nr_watches--;
		rw_watch_disarm(w);
	}
	mutex_unlock(&s->lock);
	return err;

out_release_id:
	xa_release(&s->watches, id);
out_unlock:
	mutex_unlock(&s->lock);
	return err;
}

static int rw_unwatch(struct rw_session *s, void __user *uarg)
{
	struct racewatch_unwatch req;
	struct rw_watch *w;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || !rw_zero(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	if (!req.id)
		return -ENOENT;
	if (!rw_file_unwatch(s, req.id))
		return 0;

	mutex_lock(&s->lock);
	w = xa_erase(&s->watches, req.id);
	if (w) {
		s->nr_watches--;
		rw_watch_disarm(w);
	}
	mutex_unlock(&s->lock);
	return w ? 0 : -ENOENT;
}

static void rw_watch_info(struct rw_watch *w, struct racewatch_watch_info *wi, bool all)
{
	memset(wi, 0, sizeof(*wi));
	if (all) {
		wi->type = RACEWATCH_WATCH_TYPE_PID;
		wi->processes = w->nr_threads && rw_watch_live_threads(w) ? 1 : 0;
	}
	wi->id = w->id;
	wi->pid = w->pid;
	wi->kind = w->kind;
	wi->len = w->len;
	wi->addr = w->addr;
	wi->threads = rw_watch_live_threads(w);
	wi->flags = w->flags;
	wi->hits = atomic64_read(&w->hits);
}

static int rw_list(struct rw_session *s, void __user *uarg)
{
	struct racewatch_watch_info wi;
	struct racewatch_list req;
	struct racewatch_watch_info __user *out;
	struct rw_watch *w;
	unsigned long id;
	bool all;
	u32 n = 0;
	int err = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || req.reserved32 || req.reserved ||
	    (req.flags & ~RACEWATCH_LIST_FLAGS_ALL))
		return -EINVAL;
	out = u64_to_user_ptr(req.watches);
	all = req.flags & RACEWATCH_LIST_ALL;

	mutex_lock(&s->lock);
	xa_for_each(&s->watches, id, w) {
		if (n < req.count) {
			rw_watch_info(w, &wi, all);
			if (copy_to_user(&out[n], &wi, sizeof(wi))) {
				err = -EFAULT;
				break;
			}
		}
		n++;
	}
	mutex_unlock(&s->lock);
	if (!err && all)
		err = rw_file_list(s, out, req.count, &n);
	if (err)
		return err;

	req.count = n;
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static int rw_get_stats(struct rw_session *s, void __user *uarg)
{
	struct racewatch_stats st;
	struct rw_watch *w;
	unsigned long id;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	if (st.size != sizeof(st))
		return -EINVAL;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	mutex_lock(&s->lock);
	st.watches = s->nr_watches;
	xa_for_each(&s->watches, id, w)
		st.armed_threads += rw_watch_live_threads(w);
	mutex_unlock(&s->lock);
	st.arm_failures = atomic64_read(&s->arm_failures);
	rw_file_stats(s, &st);
	rw_ring_stats(&s->ring, &st);

	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long rw_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct rw_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case RACEWATCH_IOC_GET_INFO:
		return rw_get_info(s, uarg);
	case RACEWATCH_IOC_WATCH:
		return rw_watch(s, uarg);
	case RACEWATCH_IOC_UNWATCH:
		return rw_unwatch(s, uarg);
	case RACEWATCH_IOC_LIST:
		return rw_list(s, uarg);
	case RACEWATCH_IOC_GET_STATS:
		return rw_get_stats(s, uarg);
	case RACEWATCH_IOC_WATCH_FILE:
		return rw_file_watch(s, file, uarg);
	case RACEWATCH_IOC_FILE_STAT:
		return rw_file_stat(s, uarg);
	case RACEWATCH_IOC_WATCH_EXE:
		return rw_file_watch_exe(s, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations rw_fops = {
	.owner		= THIS_MODULE,
	.open		= rw_open,
	.release	= rw_release,
	.read		= rw_read,
	.poll		= rw_poll,
	.unlocked_ioctl	= rw_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice rw_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "racewatch",
	.fops	= &rw_fops,
	.mode	= 0600,
};

static int __init rw_init(void)
{
	int err;

	if (!ring_records || ring_records > (1U << 20) || !max_watches) {
		pr_err("ring_records must be 1..1048576 and max_watches at least 1\n");
		return -EINVAL;
	}
	rw_file_init();
	err = misc_register(&rw_misc);
	if (err) {
		pr_err("cannot register /dev/racewatch: %d\n", err);
		return err;
	}
	return 0;
}

static void __exit rw_exit(void)
{
	misc_deregister(&rw_misc);
	rw_file_exit();
}

module_init(rw_init);
module_exit(rw_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("racewatch: hardware-watchpoint access tracing for data-race detection");
MODULE_AUTHOR("racewatch developers");
