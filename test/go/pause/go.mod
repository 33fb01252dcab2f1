module esi.test/pause

go 1.26
