package web

import "github.com/gin-gonic/gin"

func (w *Web) registerHubPages(r gin.IRoutes) {}
