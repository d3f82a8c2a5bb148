"""Customers, interactions, orders, cases, scores, reminders, segments: the social CRM over the mentions."""
