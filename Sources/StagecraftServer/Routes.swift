import Hummingbird

extension APIServer {
    /// Every route, by controller: operations at the root, the API under `/v1`. Each controller puts its routes
    /// behind the key check they need.
    func addRoutes(to router: Router<StagecraftRequestContext>) {
        OperationsController(api: self).addRoutes(to: router)
        let v1 = router.group("v1")
        PlacementsController(api: self).addRoutes(to: v1)
        ToursController(api: self).addRoutes(to: v1)
        MessagesController(api: self).addRoutes(to: v1)
        ProfilesController(api: self).addRoutes(to: v1)
        EventsController(api: self).addRoutes(to: v1)
        IdentityController(api: self).addRoutes(to: v1)
        PreviewController(api: self).addRoutes(to: v1)
        ContentController(api: self).addRoutes(to: v1)
        ResultsController(api: self).addRoutes(to: v1)
    }
}
