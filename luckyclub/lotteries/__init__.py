"""Signup lists, LuckyClub's third mode: lists of events or items with spots, the family members
an account signs up, first-come signups with waitlists and offers, and lottery lists whose spots
are drawn by the verifiable engine (docs/lotteries.md)."""
