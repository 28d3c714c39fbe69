"""Community raffles, LuckyClub's fourth mode: a streamer's community (a program) whose viewers
earn tickets in monthly periods from Kick chat time, gifted subs and affiliate wagers, drawn by
the verifiable engine (docs/community.md)."""
