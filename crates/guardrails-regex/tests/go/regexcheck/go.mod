module regexcheck

go 1.19
