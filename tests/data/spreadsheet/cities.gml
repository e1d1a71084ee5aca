graph [
  directed 0
  node [ id 0 label "city0" region "north" pop 1000 ]
  node [ id 1 label "city1" region "north" pop 2000 ]
  node [ id 2 label "city2" region "south" pop 3000 ]
  node [ id 3 label "city3" region "south" pop 4000 ]
  edge [ source 0 target 1 ]
  edge [ source 1 target 2 ]
  edge [ source 2 target 3 ]
]
