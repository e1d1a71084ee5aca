Creator "GraphCL Studio tests, in the style of M. Newman's collection"
graph
[
  directed 0
  node
  [
    id 0
    label "Item 00"
    value 0
  ]
  node
  [
    id 1
    label "Item 01"
    value 0
  ]
  node
  [
    id 2
    label "Item 02"
    value 0
  ]
  node
  [
    id 3
    label "Item 03"
    value 0
  ]
  node
  [
    id 4
    label "Item 04"
    value 0
  ]
  node
  [
    id 5
    label "Item 05"
    value 0
  ]
  node
  [
    id 6
    label "Item 06"
    value 0
  ]
  node
  [
    id 7
    label "Item 07"
    value 0
  ]
  node
  [
    id 8
    label "Item 08"
    value 0
  ]
  node
  [
    id 9
    label "Item 09"
    value 1
  ]
  node
  [
    id 10
    label "Item 10"
    value 1
  ]
  node
  [
    id 11
    label "Item 11"
    value 1
  ]
  node
  [
    id 12
    label "Item 12"
    value 1
  ]
  node
  [
    id 13
    label "Item 13"
    value 1
  ]
  node
  [
    id 14
    label "Item 14"
    value 1
  ]
  node
  [
    id 15
    label "Item 15"
    value 1
  ]
  node
  [
    id 16
    label "Item 16"
    value 1
  ]
  node
  [
    id 17
    label "Item 17"
    value 1
  ]
  node
  [
    id 18
    label "Item 18"
    value 2
  ]
  node
  [
    id 19
    label "Item 19"
    value 2
  ]
  node
  [
    id 20
    label "Item 20"
    value 2
  ]
  node
  [
    id 21
    label "Item 21"
    value 2
  ]
  node
  [
    id 22
    label "Item 22"
    value 2
  ]
  node
  [
    id 23
    label "Item 23"
    value 2
  ]
  node
  [
    id 24
    label "Item 24"
    value 2
  ]
  node
  [
    id 25
    label "Item 25"
    value 2
  ]
  node
  [
    id 26
    label "Item 26"
    value 2
  ]
  node
  [
    id 27
    label "Item 27"
    value 3
  ]
  node
  [
    id 28
    label "Item 28"
    value 3
  ]
  node
  [
    id 29
    label "Item 29"
    value 3
  ]
  node
  [
    id 30
    label "Item 30"
    value 3
  ]
  node
  [
    id 31
    label "Item 31"
    value 3
  ]
  node
  [
    id 32
    label "Item 32"
    value 3
  ]
  node
  [
    id 33
    label "Item 33"
    value 3
  ]
  node
  [
    id 34
    label "Item 34"
    value 3
  ]
  node
  [
    id 35
    label "Item 35"
    value 3
  ]
  edge
  [
    source 0
    target 3
    value 2
  ]
  edge
  [
    source 0
    target 4
    value 2
  ]
  edge
  [
    source 0
    target 8
    value 4
  ]
  edge
  [
    source 0
    target 22
    value 4
  ]
  edge
  [
    source 0
    target 30
    value 3
  ]
  edge
  [
    source 1
    target 2
    value 4
  ]
  edge
  [
    source 2
    target 3
    value 4
  ]
  edge
  [
    source 3
    target 4
    value 5
  ]
  edge
  [
    source 3
    target 6
    value 3
  ]
  edge
  [
    source 3
    target 8
    value 5
  ]
  edge
  [
    source 3
    target 10
    value 2
  ]
  edge
  [
    source 4
    target 6
    value 5
  ]
  edge
  [
    source 4
    target 7
    value 4
  ]
  edge
  [
    source 4
    target 19
    value 4
  ]
  edge
  [
    source 5
    target 8
    value 2
  ]
  edge
  [
    source 5
    target 11
    value 4
  ]
  edge
  [
    source 6
    target 7
    value 5
  ]
  edge
  [
    source 6
    target 16
    value 3
  ]
  edge
  [
    source 6
    target 22
    value 3
  ]
  edge
  [
    source 7
    target 19
    value 1
  ]
  edge
  [
    source 9
    target 11
    value 2
  ]
  edge
  [
    source 9
    target 14
    value 3
  ]
  edge
  [
    source 9
    target 24
    value 5
  ]
  edge
  [
    source 10
    target 11
    value 4
  ]
  edge
  [
    source 10
    target 16
    value 2
  ]
  edge
  [
    source 10
    target 22
    value 5
  ]
  edge
  [
    source 10
    target 28
    value 5
  ]
  edge
  [
    source 11
    target 13
    value 2
  ]
  edge
  [
    source 11
    target 16
    value 3
  ]
  edge
  [
    source 11
    target 27
    value 2
  ]
  edge
  [
    source 12
    target 14
    value 5
  ]
  edge
  [
    source 12
    target 15
    value 3
  ]
  edge
  [
    source 12
    target 17
    value 1
  ]
  edge
  [
    source 12
    target 29
    value 1
  ]
  edge
  [
    source 13
    target 15
    value 1
  ]
  edge
  [
    source 14
    target 15
    value 2
  ]
  edge
  [
    source 14
    target 17
    value 3
  ]
  edge
  [
    source 15
    target 16
    value 1
  ]
  edge
  [
    source 15
    target 17
    value 3
  ]
  edge
  [
    source 16
    target 34
    value 5
  ]
  edge
  [
    source 18
    target 20
    value 3
  ]
  edge
  [
    source 18
    target 21
    value 3
  ]
  edge
  [
    source 18
    target 22
    value 4
  ]
  edge
  [
    source 18
    target 23
    value 1
  ]
  edge
  [
    source 18
    target 25
    value 4
  ]
  edge
  [
    source 19
    target 20
    value 4
  ]
  edge
  [
    source 20
    target 24
    value 1
  ]
  edge
  [
    source 20
    target 25
    value 3
  ]
  edge
  [
    source 20
    target 34
    value 5
  ]
  edge
  [
    source 21
    target 23
    value 5
  ]
  edge
  [
    source 21
    target 24
    value 2
  ]
  edge
  [
    source 21
    target 26
    value 2
  ]
  edge
  [
    source 22
    target 23
    value 2
  ]
  edge
  [
    source 22
    target 24
    value 2
  ]
  edge
  [
    source 23
    target 24
    value 5
  ]
  edge
  [
    source 23
    target 25
    value 4
  ]
  edge
  [
    source 24
    target 26
    value 1
  ]
  edge
  [
    source 25
    target 26
    value 5
  ]
  edge
  [
    source 27
    target 31
    value 4
  ]
  edge
  [
    source 27
    target 32
    value 3
  ]
  edge
  [
    source 27
    target 33
    value 1
  ]
  edge
  [
    source 28
    target 29
    value 4
  ]
  edge
  [
    source 28
    target 34
    value 4
  ]
  edge
  [
    source 28
    target 35
    value 2
  ]
  edge
  [
    source 29
    target 32
    value 2
  ]
  edge
  [
    source 30
    target 35
    value 5
  ]
  edge
  [
    source 31
    target 33
    value 3
  ]
  edge
  [
    source 31
    target 35
    value 2
  ]
  edge
  [
    source 32
    target 33
    value 2
  ]
  edge
  [
    source 34
    target 35
    value 5
  ]
]
