package luastr

import (
	"strings"

	"github.com/yuin/gopher-lua/ast"
)

// concatLocal names the local that holds the capped concatenation. It is not
// a Lua identifier, so no script can read, shadow or assign it.
const concatLocal = "(concat)"

// maxConcatArgs bounds the arguments of one rewritten call; longer chains
// nest, which keeps register use close to that of the native instruction.
const maxConcatArgs = 64

// rewriter replaces `..` in a chunk; used records whether it did.
type rewriter struct {
	used bool
}

// rewriteChunk rewrites chunk in place and, if it holds a concatenation,
// prepends `local (concat) = __sandgate_concat`.
func rewriteChunk(chunk []ast.Stmt) []ast.Stmt {
	var r rewriter
	r.stmts(chunk)
	if !r.used {
		return chunk
	}
	global := &ast.IdentExpr{Value: ConcatGlobal}
	global.SetLine(1)
	decl := &ast.LocalAssignStmt{Names: []string{concatLocal}, Exprs: []ast.Expr{global}}
	decl.SetLine(1)
	decl.SetLastLine(1)
	return append([]ast.Stmt{decl}, chunk...)
}

func (r *rewriter) stmts(list []ast.Stmt) {
	for _, s := range list {
		r.stmt(s)
	}
}

func (r *rewriter) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		r.exprs(s.Lhs)
		r.exprs(s.Rhs)
	case *ast.LocalAssignStmt:
		r.exprs(s.Exprs)
	case *ast.FuncCallStmt:
		s.Expr = r.expr(s.Expr)
	case *ast.DoBlockStmt:
		r.stmts(s.Stmts)
	case *ast.WhileStmt:
		s.Condition = r.expr(s.Condition)
		r.stmts(s.Stmts)
	case *ast.RepeatStmt:
		r.stmts(s.Stmts)
		s.Condition = r.expr(s.Condition)
	case *ast.IfStmt:
		s.Condition = r.expr(s.Condition)
		r.stmts(s.Then)
		r.stmts(s.Else)
	default:
		r.loopOrFunc(s)
	}
}

// loopOrFunc handles the statements that stmt leaves out; break, goto, labels
// hold no expression.
func (r *rewriter) loopOrFunc(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.NumberForStmt:
		s.Init, s.Limit, s.Step = r.expr(s.Init), r.expr(s.Limit), r.expr(s.Step)
		r.stmts(s.Stmts)
	case *ast.GenericForStmt:
		r.exprs(s.Exprs)
		r.stmts(s.Stmts)
	case *ast.FuncDefStmt:
		s.Name.Func, s.Name.Receiver = r.expr(s.Name.Func), r.expr(s.Name.Receiver)
		r.stmts(s.Func.Stmts)
	case *ast.ReturnStmt:
		r.exprs(s.Exprs)
	}
}

func (r *rewriter) exprs(list []ast.Expr) {
	for i, e := range list {
		list[i] = r.expr(e)
	}
}

// expr returns e with its concatenations rewritten; nil stays nil.
func (r *rewriter) expr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *ast.StringConcatOpExpr:
		return r.concat(e)
	case *ast.AttrGetExpr:
		e.Object, e.Key = r.expr(e.Object), r.expr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			f.Key, f.Value = r.expr(f.Key), r.expr(f.Value)
		}
	case *ast.FuncCallExpr:
		e.Func, e.Receiver = r.expr(e.Func), r.expr(e.Receiver)
		r.exprs(e.Args)
	case *ast.FunctionExpr:
		r.stmts(e.Stmts)
	default:
		r.operator(e)
	}
	return e
}

// operator rewrites the operands of the remaining operators in place.
func (r *rewriter) operator(e ast.Expr) {
	switch e := e.(type) {
	case *ast.LogicalOpExpr:
		e.Lhs, e.Rhs = r.expr(e.Lhs), r.expr(e.Rhs)
	case *ast.RelationalOpExpr:
		e.Lhs, e.Rhs = r.expr(e.Lhs), r.expr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		e.Lhs, e.Rhs = r.expr(e.Lhs), r.expr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.UnaryNotOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.UnaryLenOpExpr:
		e.Expr = r.expr(e.Expr)
	}
}

// concat turns the right-leaning chain a .. (b .. (c ...)) into one call
// with the operands in order, which the capped function folds from the right
// as the VM's CONCAT does. A parenthesised left operand is its own chain.
func (r *rewriter) concat(e *ast.StringConcatOpExpr) ast.Expr {
	var ops []ast.Expr
	var cur ast.Expr = e
	for {
		c, ok := cur.(*ast.StringConcatOpExpr)
		if !ok {
			break
		}
		ops = append(ops, r.expr(c.Lhs))
		cur = c.Rhs
	}
	ops = foldTail(append(ops, r.expr(cur)))
	if len(ops) == 1 {
		return ops[0]
	}
	r.used = true
	return concatCall(ops, e.Line(), e.LastLine())
}

// foldTail joins the string literals at the end of a chain at compile time.
// Only the tail may fold: "a" .. "b" .. x hands "b" to x's __concat first.
func foldTail(ops []ast.Expr) []ast.Expr {
	i := len(ops)
	for i > 0 {
		if _, ok := ops[i-1].(*ast.StringExpr); !ok {
			break
		}
		i--
	}
	if len(ops)-i < 2 {
		return ops
	}
	var b strings.Builder
	for _, op := range ops[i:] {
		b.WriteString(op.(*ast.StringExpr).Value)
	}
	s := &ast.StringExpr{Value: b.String()}
	s.SetLine(ops[i].Line())
	s.SetLastLine(ops[len(ops)-1].LastLine())
	return append(ops[:i], s)
}

// concatCall builds `(concat)(ops...)`, adjusted to one result like any
// operator, on the line of the original expression.
func concatCall(ops []ast.Expr, line, lastLine int) ast.Expr {
	if len(ops) > maxConcatArgs {
		tail := concatCall(ops[maxConcatArgs-1:], line, lastLine)
		ops = append(ops[:maxConcatArgs-1:maxConcatArgs-1], tail)
	}
	fn := &ast.IdentExpr{Value: concatLocal}
	fn.SetLine(line)
	call := &ast.FuncCallExpr{Func: fn, Args: ops, AdjustRet: true}
	call.SetLine(line)
	call.SetLastLine(lastLine)
	return call
}
