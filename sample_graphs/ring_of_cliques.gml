graph [
  node [
    id 0
    label "0"
    clique "clique 1"
  ]
  node [
    id 1
    label "1"
    clique "clique 1"
  ]
  node [
    id 2
    label "2"
    clique "clique 1"
  ]
  node [
    id 3
    label "3"
    clique "clique 1"
  ]
  node [
    id 4
    label "4"
    clique "clique 1"
  ]
  node [
    id 5
    label "5"
    clique "clique 1"
  ]
  node [
    id 6
    label "6"
    clique "clique 2"
  ]
  node [
    id 7
    label "7"
    clique "clique 2"
  ]
  node [
    id 8
    label "8"
    clique "clique 2"
  ]
  node [
    id 9
    label "9"
    clique "clique 2"
  ]
  node [
    id 10
    label "10"
    clique "clique 2"
  ]
  node [
    id 11
    label "11"
    clique "clique 2"
  ]
  node [
    id 12
    label "12"
    clique "clique 3"
  ]
  node [
    id 13
    label "13"
    clique "clique 3"
  ]
  node [
    id 14
    label "14"
    clique "clique 3"
  ]
  node [
    id 15
    label "15"
    clique "clique 3"
  ]
  node [
    id 16
    label "16"
    clique "clique 3"
  ]
  node [
    id 17
    label "17"
    clique "clique 3"
  ]
  node [
    id 18
    label "18"
    clique "clique 4"
  ]
  node [
    id 19
    label "19"
    clique "clique 4"
  ]
  node [
    id 20
    label "20"
    clique "clique 4"
  ]
  node [
    id 21
    label "21"
    clique "clique 4"
  ]
  node [
    id 22
    label "22"
    clique "clique 4"
  ]
  node [
    id 23
    label "23"
    clique "clique 4"
  ]
  node [
    id 24
    label "24"
    clique "clique 5"
  ]
  node [
    id 25
    label "25"
    clique "clique 5"
  ]
  node [
    id 26
    label "26"
    clique "clique 5"
  ]
  node [
    id 27
    label "27"
    clique "clique 5"
  ]
  node [
    id 28
    label "28"
    clique "clique 5"
  ]
  node [
    id 29
    label "29"
    clique "clique 5"
  ]
  node [
    id 30
    label "30"
    clique "clique 6"
  ]
  node [
    id 31
    label "31"
    clique "clique 6"
  ]
  node [
    id 32
    label "32"
    clique "clique 6"
  ]
  node [
    id 33
    label "33"
    clique "clique 6"
  ]
  node [
    id 34
    label "34"
    clique "clique 6"
  ]
  node [
    id 35
    label "35"
    clique "clique 6"
  ]
  node [
    id 36
    label "36"
    clique "clique 7"
  ]
  node [
    id 37
    label "37"
    clique "clique 7"
  ]
  node [
    id 38
    label "38"
    clique "clique 7"
  ]
  node [
    id 39
    label "39"
    clique "clique 7"
  ]
  node [
    id 40
    label "40"
    clique "clique 7"
  ]
  node [
    id 41
    label "41"
    clique "clique 7"
  ]
  node [
    id 42
    label "42"
    clique "clique 8"
  ]
  node [
    id 43
    label "43"
    clique "clique 8"
  ]
  node [
    id 44
    label "44"
    clique "clique 8"
  ]
  node [
    id 45
    label "45"
    clique "clique 8"
  ]
  node [
    id 46
    label "46"
    clique "clique 8"
  ]
  node [
    id 47
    label "47"
    clique "clique 8"
  ]
  edge [
    source 0
    target 1
  ]
  edge [
    source 0
    target 2
  ]
  edge [
    source 0
    target 3
  ]
  edge [
    source 0
    target 4
  ]
  edge [
    source 0
    target 5
  ]
  edge [
    source 0
    target 43
  ]
  edge [
    source 1
    target 2
  ]
  edge [
    source 1
    target 3
  ]
  edge [
    source 1
    target 4
  ]
  edge [
    source 1
    target 5
  ]
  edge [
    source 1
    target 6
  ]
  edge [
    source 2
    target 3
  ]
  edge [
    source 2
    target 4
  ]
  edge [
    source 2
    target 5
  ]
  edge [
    source 3
    target 4
  ]
  edge [
    source 3
    target 5
  ]
  edge [
    source 4
    target 5
  ]
  edge [
    source 6
    target 7
  ]
  edge [
    source 6
    target 8
  ]
  edge [
    source 6
    target 9
  ]
  edge [
    source 6
    target 10
  ]
  edge [
    source 6
    target 11
  ]
  edge [
    source 7
    target 8
  ]
  edge [
    source 7
    target 9
  ]
  edge [
    source 7
    target 10
  ]
  edge [
    source 7
    target 11
  ]
  edge [
    source 7
    target 12
  ]
  edge [
    source 8
    target 9
  ]
  edge [
    source 8
    target 10
  ]
  edge [
    source 8
    target 11
  ]
  edge [
    source 9
    target 10
  ]
  edge [
    source 9
    target 11
  ]
  edge [
    source 10
    target 11
  ]
  edge [
    source 12
    target 13
  ]
  edge [
    source 12
    target 14
  ]
  edge [
    source 12
    target 15
  ]
  edge [
    source 12
    target 16
  ]
  edge [
    source 12
    target 17
  ]
  edge [
    source 13
    target 14
  ]
  edge [
    source 13
    target 15
  ]
  edge [
    source 13
    target 16
  ]
  edge [
    source 13
    target 17
  ]
  edge [
    source 13
    target 18
  ]
  edge [
    source 14
    target 15
  ]
  edge [
    source 14
    target 16
  ]
  edge [
    source 14
    target 17
  ]
  edge [
    source 15
    target 16
  ]
  edge [
    source 15
    target 17
  ]
  edge [
    source 16
    target 17
  ]
  edge [
    source 18
    target 19
  ]
  edge [
    source 18
    target 20
  ]
  edge [
    source 18
    target 21
  ]
  edge [
    source 18
    target 22
  ]
  edge [
    source 18
    target 23
  ]
  edge [
    source 19
    target 20
  ]
  edge [
    source 19
    target 21
  ]
  edge [
    source 19
    target 22
  ]
  edge [
    source 19
    target 23
  ]
  edge [
    source 19
    target 24
  ]
  edge [
    source 20
    target 21
  ]
  edge [
    source 20
    target 22
  ]
  edge [
    source 20
    target 23
  ]
  edge [
    source 21
    target 22
  ]
  edge [
    source 21
    target 23
  ]
  edge [
    source 22
    target 23
  ]
  edge [
    source 24
    target 25
  ]
  edge [
    source 24
    target 26
  ]
  edge [
    source 24
    target 27
  ]
  edge [
    source 24
    target 28
  ]
  edge [
    source 24
    target 29
  ]
  edge [
    source 25
    target 26
  ]
  edge [
    source 25
    target 27
  ]
  edge [
    source 25
    target 28
  ]
  edge [
    source 25
    target 29
  ]
  edge [
    source 25
    target 30
  ]
  edge [
    source 26
    target 27
  ]
  edge [
    source 26
    target 28
  ]
  edge [
    source 26
    target 29
  ]
  edge [
    source 27
    target 28
  ]
  edge [
    source 27
    target 29
  ]
  edge [
    source 28
    target 29
  ]
  edge [
    source 30
    target 31
  ]
  edge [
    source 30
    target 32
  ]
  edge [
    source 30
    target 33
  ]
  edge [
    source 30
    target 34
  ]
  edge [
    source 30
    target 35
  ]
  edge [
    source 31
    target 32
  ]
  edge [
    source 31
    target 33
  ]
  edge [
    source 31
    target 34
  ]
  edge [
    source 31
    target 35
  ]
  edge [
    source 31
    target 36
  ]
  edge [
    source 32
    target 33
  ]
  edge [
    source 32
    target 34
  ]
  edge [
    source 32
    target 35
  ]
  edge [
    source 33
    target 34
  ]
  edge [
    source 33
    target 35
  ]
  edge [
    source 34
    target 35
  ]
  edge [
    source 36
    target 37
  ]
  edge [
    source 36
    target 38
  ]
  edge [
    source 36
    target 39
  ]
  edge [
    source 36
    target 40
  ]
  edge [
    source 36
    target 41
  ]
  edge [
    source 37
    target 38
  ]
  edge [
    source 37
    target 39
  ]
  edge [
    source 37
    target 40
  ]
  edge [
    source 37
    target 41
  ]
  edge [
    source 37
    target 42
  ]
  edge [
    source 38
    target 39
  ]
  edge [
    source 38
    target 40
  ]
  edge [
    source 38
    target 41
  ]
  edge [
    source 39
    target 40
  ]
  edge [
    source 39
    target 41
  ]
  edge [
    source 40
    target 41
  ]
  edge [
    source 42
    target 43
  ]
  edge [
    source 42
    target 44
  ]
  edge [
    source 42
    target 45
  ]
  edge [
    source 42
    target 46
  ]
  edge [
    source 42
    target 47
  ]
  edge [
    source 43
    target 44
  ]
  edge [
    source 43
    target 45
  ]
  edge [
    source 43
    target 46
  ]
  edge [
    source 43
    target 47
  ]
  edge [
    source 44
    target 45
  ]
  edge [
    source 44
    target 46
  ]
  edge [
    source 44
    target 47
  ]
  edge [
    source 45
    target 46
  ]
  edge [
    source 45
    target 47
  ]
  edge [
    source 46
    target 47
  ]
]
