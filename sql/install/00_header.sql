-- piramid install script, assembled by the Makefile from sql/install/*.sql in file-name order.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION piramid" to load this file. \quit
