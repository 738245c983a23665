package web

import "github.com/gin-gonic/gin"

func (w *Web) registerUSTPages(r gin.IRoutes) {}
