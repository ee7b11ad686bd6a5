/*
 * pipe.c -- a bounded single-producer, single-consumer queue of copied
 * chunks, and the worker thread that consumes it (see pipe.h).
 *
 * The ring holds SLOTS messages of at most CHUNK bytes each, so memory is
 * bounded (SLOTS * CHUNK) whatever the size of the package; larger data
 * is cut into several messages.  One mutex guards the ring's indexes and
 * the error; the chunk buffers are owned by one side at a time (a slot
 * belongs to the producer from free until posted, to the consumer from
 * taken until released), so copies happen outside the lock.
 */
#include "pipe.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 16
#define CHUNK (256u << 10)

enum msg_kind { MSG_BEGIN, MSG_DATA, MSG_END, MSG_STOP };

struct slot {
	enum msg_kind kind;
	void *item;
	size_t len;
	unsigned char *buf;	/* CHUNK bytes, allocated on first use */
};

struct hfx_pipe {
	struct hfx_pipe_ops ops;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty;
	struct slot ring[SLOTS];
	size_t head, tail, count;	/* head: next to fill; tail: next to take */
	void *item;			/* current file, producer side */
	bool producer_waits, consumer_waits;
	bool failed, abandon;
	struct hfx_err err;		/* the worker's first error */
};

static void *worker(void *arg)
{
	struct hfx_pipe *p = arg;

	for (;;) {
		struct slot *s;
		struct hfx_err err;
		enum hfx_rc rc = HFX_OK;
		bool failed;

		pthread_mutex_lock(&p->lock);
		while (p->count == 0) {
			p->consumer_waits = true;
			pthread_cond_wait(&p->not_empty, &p->lock);
		}
		p->consumer_waits = false;
		s = &p->ring[p->tail];
		failed = p->failed || p->abandon;
		pthread_mutex_unlock(&p->lock);

		if (s->kind == MSG_STOP)
			break;
		hfx_err_clear(&err);
		if (!failed) {
			if (s->kind == MSG_BEGIN)
				rc = p->ops.begin(p->ops.ud, s->item, &err);
			else if (s->kind == MSG_DATA)
				rc = p->ops.data(p->ops.ud, s->item, s->buf,
						 s->len, &err);
			else
				rc = p->ops.end(p->ops.ud, s->item, &err);
		}

		pthread_mutex_lock(&p->lock);
		if (rc != HFX_OK && !p->failed) {
			p->failed = true;
			p->err = err;
		}
		p->tail = (p->tail + 1) % SLOTS;
		p->count--;
		/* Wake a waiting producer only once half the ring is free:
		 * one context switch per batch, not per chunk. */
		if (p->producer_waits && (p->count <= SLOTS / 2 || p->failed))
			pthread_cond_signal(&p->not_full);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

enum hfx_rc hfx_pipe_start(const struct hfx_pipe_ops *ops,
			   struct hfx_pipe **out, struct hfx_err *err)
{
	struct hfx_pipe *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	p->ops = *ops;
	hfx_err_clear(&p->err);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->not_full, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	if (pthread_create(&p->thread, NULL, worker, p) != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->not_full);
		pthread_cond_destroy(&p->not_empty);
		free(p);
		return hfx_err_set(err, HFX_ERR_NOMEM,
				   "cannot start the writer thread");
	}
	*out = p;
	return HFX_OK;
}

/* Take a free slot (waiting for one), or fail with the worker's error. */
static struct slot *reserve(struct hfx_pipe *p, struct hfx_err *err)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&p->lock);
	while (p->count == SLOTS && !p->failed) {
		p->producer_waits = true;
		pthread_cond_wait(&p->not_full, &p->lock);
	}
	p->producer_waits = false;
	if (p->failed)
		hfx_err_set(err, p->err.code, "%s", p->err.msg);
	else
		s = &p->ring[p->head];
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void post(struct hfx_pipe *p)
{
	pthread_mutex_lock(&p->lock);
	p->head = (p->head + 1) % SLOTS;
	p->count++;
	if (p->consumer_waits)
		pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->lock);
}

static enum hfx_rc post_kind(struct hfx_pipe *p, enum msg_kind kind,
			     void *item, struct hfx_err *err)
{
	struct slot *s = reserve(p, err);

	if (!s)
		return err->code;
	s->kind = kind;
	s->item = item;
	s->len = 0;
	post(p);
	return HFX_OK;
}

enum hfx_rc hfx_pipe_begin(struct hfx_pipe *p, void *item, struct hfx_err *err)
{
	p->item = item;
	return post_kind(p, MSG_BEGIN, item, err);
}

enum hfx_rc hfx_pipe_data(struct hfx_pipe *p, const void *buf, size_t len,
			  struct hfx_err *err)
{
	const unsigned char *b = buf;

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;
		struct slot *s = reserve(p, err);

		if (!s)
			return err->code;
		if (!s->buf && !(s->buf = malloc(CHUNK)))
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		memcpy(s->buf, b, n);
		s->kind = MSG_DATA;
		s->item = p->item;
		s->len = n;
		post(p);
		b += n;
		len -= n;
	}
	return HFX_OK;
}

enum hfx_rc hfx_pipe_end(struct hfx_pipe *p, struct hfx_err *err)
{
	return post_kind(p, MSG_END, p->item, err);
}

enum hfx_rc hfx_pipe_finish(struct hfx_pipe *p, int abandon,
			    struct hfx_err *err)
{
	struct slot *s;
	enum hfx_rc rc = HFX_OK;

	pthread_mutex_lock(&p->lock);
	if (abandon)
		p->abandon = true;
	while (p->count == SLOTS) {
		p->producer_waits = true;
		pthread_cond_wait(&p->not_full, &p->lock);
	}
	p->producer_waits = false;
	s = &p->ring[p->head];
	s->kind = MSG_STOP;
	p->head = (p->head + 1) % SLOTS;
	p->count++;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	if (p->failed)
		rc = hfx_err_set(err, p->err.code, "%s", p->err.msg);
	for (size_t i = 0; i < SLOTS; i++)
		free(p->ring[i].buf);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->not_full);
	pthread_cond_destroy(&p->not_empty);
	free(p);
	return rc;
}
