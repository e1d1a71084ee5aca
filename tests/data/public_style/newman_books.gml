Creator "GraphCL Studio tests, in the style of M. Newman's collection"
graph
[
  directed 0
  node
  [
    id 0
    label "Item 00"
    value "liberal"
  ]
  node
  [
    id 1
    label "Item 01"
    value "liberal"
  ]
  node
  [
    id 2
    label "Item 02"
    value "liberal"
  ]
  node
  [
    id 3
    label "Item 03"
    value "liberal"
  ]
  node
  [
    id 4
    label "Item 04"
    value "liberal"
  ]
  node
  [
    id 5
    label "Item 05"
    value "liberal"
  ]
  node
  [
    id 6
    label "Item 06"
    value "liberal"
  ]
  node
  [
    id 7
    label "Item 07"
    value "liberal"
  ]
  node
  [
    id 8
    label "Item 08"
    value "liberal"
  ]
  node
  [
    id 9
    label "Item 09"
    value "liberal"
  ]
  node
  [
    id 10
    label "Item 10"
    value "liberal"
  ]
  node
  [
    id 11
    label "Item 11"
    value "liberal"
  ]
  node
  [
    id 12
    label "Item 12"
    value "neutral"
  ]
  node
  [
    id 13
    label "Item 13"
    value "neutral"
  ]
  node
  [
    id 14
    label "Item 14"
    value "neutral"
  ]
  node
  [
    id 15
    label "Item 15"
    value "neutral"
  ]
  node
  [
    id 16
    label "Item 16"
    value "neutral"
  ]
  node
  [
    id 17
    label "Item 17"
    value "neutral"
  ]
  node
  [
    id 18
    label "Item 18"
    value "neutral"
  ]
  node
  [
    id 19
    label "Item 19"
    value "neutral"
  ]
  node
  [
    id 20
    label "Item 20"
    value "neutral"
  ]
  node
  [
    id 21
    label "Item 21"
    value "neutral"
  ]
  node
  [
    id 22
    label "Item 22"
    value "neutral"
  ]
  node
  [
    id 23
    label "Item 23"
    value "neutral"
  ]
  node
  [
    id 24
    label "Item 24"
    value "conservative"
  ]
  node
  [
    id 25
    label "Item 25"
    value "conservative"
  ]
  node
  [
    id 26
    label "Item 26"
    value "conservative"
  ]
  node
  [
    id 27
    label "Item 27"
    value "conservative"
  ]
  node
  [
    id 28
    label "Item 28"
    value "conservative"
  ]
  node
  [
    id 29
    label "Item 29"
    value "conservative"
  ]
  node
  [
    id 30
    label "Item 30"
    value "conservative"
  ]
  node
  [
    id 31
    label "Item 31"
    value "conservative"
  ]
  node
  [
    id 32
    label "Item 32"
    value "conservative"
  ]
  node
  [
    id 33
    label "Item 33"
    value "conservative"
  ]
  node
  [
    id 34
    label "Item 34"
    value "conservative"
  ]
  node
  [
    id 35
    label "Item 35"
    value "conservative"
  ]
  edge
  [
    source 0
    target 1
  ]
  edge
  [
    source 0
    target 4
  ]
  edge
  [
    source 0
    target 9
  ]
  edge
  [
    source 0
    target 10
  ]
  edge
  [
    source 0
    target 14
  ]
  edge
  [
    source 0
    target 21
  ]
  edge
  [
    source 0
    target 27
  ]
  edge
  [
    source 1
    target 2
  ]
  edge
  [
    source 1
    target 6
  ]
  edge
  [
    source 1
    target 9
  ]
  edge
  [
    source 1
    target 10
  ]
  edge
  [
    source 2
    target 5
  ]
  edge
  [
    source 2
    target 6
  ]
  edge
  [
    source 2
    target 11
  ]
  edge
  [
    source 2
    target 25
  ]
  edge
  [
    source 3
    target 5
  ]
  edge
  [
    source 3
    target 9
  ]
  edge
  [
    source 3
    target 14
  ]
  edge
  [
    source 3
    target 26
  ]
  edge
  [
    source 3
    target 27
  ]
  edge
  [
    source 4
    target 5
  ]
  edge
  [
    source 4
    target 6
  ]
  edge
  [
    source 4
    target 9
  ]
  edge
  [
    source 4
    target 11
  ]
  edge
  [
    source 4
    target 21
  ]
  edge
  [
    source 4
    target 22
  ]
  edge
  [
    source 5
    target 7
  ]
  edge
  [
    source 5
    target 9
  ]
  edge
  [
    source 5
    target 10
  ]
  edge
  [
    source 5
    target 20
  ]
  edge
  [
    source 6
    target 7
  ]
  edge
  [
    source 6
    target 8
  ]
  edge
  [
    source 6
    target 10
  ]
  edge
  [
    source 6
    target 15
  ]
  edge
  [
    source 8
    target 11
  ]
  edge
  [
    source 8
    target 14
  ]
  edge
  [
    source 9
    target 11
  ]
  edge
  [
    source 9
    target 12
  ]
  edge
  [
    source 10
    target 27
  ]
  edge
  [
    source 12
    target 16
  ]
  edge
  [
    source 12
    target 18
  ]
  edge
  [
    source 12
    target 21
  ]
  edge
  [
    source 12
    target 22
  ]
  edge
  [
    source 12
    target 32
  ]
  edge
  [
    source 13
    target 14
  ]
  edge
  [
    source 13
    target 16
  ]
  edge
  [
    source 13
    target 17
  ]
  edge
  [
    source 13
    target 18
  ]
  edge
  [
    source 13
    target 23
  ]
  edge
  [
    source 13
    target 24
  ]
  edge
  [
    source 14
    target 18
  ]
  edge
  [
    source 14
    target 20
  ]
  edge
  [
    source 14
    target 21
  ]
  edge
  [
    source 15
    target 18
  ]
  edge
  [
    source 15
    target 19
  ]
  edge
  [
    source 15
    target 20
  ]
  edge
  [
    source 15
    target 23
  ]
  edge
  [
    source 16
    target 18
  ]
  edge
  [
    source 17
    target 19
  ]
  edge
  [
    source 17
    target 20
  ]
  edge
  [
    source 17
    target 21
  ]
  edge
  [
    source 17
    target 23
  ]
  edge
  [
    source 17
    target 26
  ]
  edge
  [
    source 19
    target 22
  ]
  edge
  [
    source 19
    target 29
  ]
  edge
  [
    source 20
    target 25
  ]
  edge
  [
    source 21
    target 23
  ]
  edge
  [
    source 21
    target 28
  ]
  edge
  [
    source 24
    target 30
  ]
  edge
  [
    source 25
    target 27
  ]
  edge
  [
    source 25
    target 28
  ]
  edge
  [
    source 25
    target 30
  ]
  edge
  [
    source 25
    target 31
  ]
  edge
  [
    source 26
    target 28
  ]
  edge
  [
    source 26
    target 32
  ]
  edge
  [
    source 26
    target 34
  ]
  edge
  [
    source 27
    target 28
  ]
  edge
  [
    source 27
    target 31
  ]
  edge
  [
    source 27
    target 32
  ]
  edge
  [
    source 28
    target 29
  ]
  edge
  [
    source 28
    target 32
  ]
  edge
  [
    source 29
    target 30
  ]
  edge
  [
    source 29
    target 32
  ]
  edge
  [
    source 30
    target 33
  ]
  edge
  [
    source 30
    target 35
  ]
  edge
  [
    source 31
    target 32
  ]
  edge
  [
    source 32
    target 33
  ]
  edge
  [
    source 33
    target 34
  ]
  edge
  [
    source 33
    target 35
  ]
]
