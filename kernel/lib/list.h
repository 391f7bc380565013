/*
 * list.h: an intrusive, circular, doubly-linked list (the run queue,
 * wait queues, timers, futex buckets). A struct embeds a list_node; the
 * list head is a bare list_node whose next/prev point at itself when
 * empty. No allocation, no locking: the owner of the list says which
 * lock protects it. Builds on the host for unit tests.
 */
#ifndef CVMIFY_LIB_LIST_H
#define CVMIFY_LIB_LIST_H

#include "lib/types.h"

struct list_node {
	struct list_node *next;
	struct list_node *prev;
};

/* The struct that contains node as its member named field. */
#define list_entry(node, type, field) \
	((type *)(void *)((char *)(node) - __builtin_offsetof(type, field)))

static inline void list_init(struct list_node *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* A node that is on no list (after list_node_init or list_remove). */
static inline void list_node_init(struct list_node *node)
{
	node->next = NULL;
	node->prev = NULL;
}

static inline bool list_linked(const struct list_node *node)
{
	return node->next != NULL;
}

static inline void list_insert_between(struct list_node *node, struct list_node *prev,
                                       struct list_node *next)
{
	node->prev = prev;
	node->next = next;
	prev->next = node;
	next->prev = node;
}

/* Add node at the tail (before head). */
static inline void list_push_back(struct list_node *head, struct list_node *node)
{
	list_insert_between(node, head->prev, head);
}

/* Add node right before pos (pos may be the head: then at the tail). */
static inline void list_insert_before(struct list_node *pos, struct list_node *node)
{
	list_insert_between(node, pos->prev, pos);
}

/* Unlink node; it reads as unlinked afterwards. */
static inline void list_remove(struct list_node *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	list_node_init(node);
}

static inline struct list_node *list_first(const struct list_node *head)
{
	return list_empty(head) ? NULL : head->next;
}

#endif
