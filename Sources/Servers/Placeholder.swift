// placeholder until the servers land
