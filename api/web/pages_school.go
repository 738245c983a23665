package web

import "github.com/gin-gonic/gin"

func (w *Web) registerSchoolPages(r gin.IRoutes) {}
