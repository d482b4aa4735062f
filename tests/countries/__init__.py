"""Tests of the countries service (a package, so module names never clash with other services')."""
