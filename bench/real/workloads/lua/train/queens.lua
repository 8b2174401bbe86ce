-- Training: backtracking over integer arrays (all solutions of N queens).
local n = tonumber(arg and arg[1]) or 8
local cols, solutions = {}, 0
local function safe(row, col)
  for r = 1, row - 1 do
    local c = cols[r]
    if c == col or c - col == r - row or c - col == row - r then return false end
  end
  return true
end
local function place(row)
  if row > n then solutions = solutions + 1 return end
  for col = 1, n do
    if safe(row, col) then cols[row] = col; place(row + 1) end
  end
end
place(1)
print(n, solutions)
