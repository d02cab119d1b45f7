"""`x-dm-channel`: sets up and checks the channel on X and AWS."""
