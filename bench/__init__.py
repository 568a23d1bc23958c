"""The benchmark harness (`make bench`), kept out of the application: it generates data, serves
the app and measures it as the people who use it. Nothing in apps/ imports it."""
