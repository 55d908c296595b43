// placeholder until compare lands
